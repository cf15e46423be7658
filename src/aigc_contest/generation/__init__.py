"""Text and image generation: typed requests, one backend per file, provenance on every asset (no Django)."""
