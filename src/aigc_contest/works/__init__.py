"""Works participants make: images, storybooks, interactive novels (no Django)."""
