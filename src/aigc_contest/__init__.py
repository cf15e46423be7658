"""aigc-contest: run AI-generated-content competitions end to end."""

__version__ = "0.1.0"
