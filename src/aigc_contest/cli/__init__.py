"""The `aigc-contest` command line (DESIGN.md §10 is its contract)."""
