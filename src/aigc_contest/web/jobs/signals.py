"""Signals the jobs app sends; apps above it listen without the jobs app importing them."""

from __future__ import annotations

from django.dispatch import Signal

# Sent after each watchdog pass of a worker's housekeeper (every `watchdog_seconds`), with `now`: work
# that must happen at an instant rather than on a request (the results e-mail) hooks in here.
watchdog_passed = Signal()
