"""What the contests app tells the apps above it, which it does not import."""

from __future__ import annotations

from django.dispatch import Signal

# Sent with `invitation` (a contests.Invitation), `path` (the link's path on this site, carrying the secret
# that only the e-mail holds) and `actor` (who invited) once an invitation exists; the notifications app
# queues the e-mail.
invitation_sent = Signal()

# Sent with `competition` and `actor` when an organiser opens a judging round; the fine-tuning app queues
# the judges' side-by-side sheets of the submitted fine-tuning entries.
judging_opened = Signal()
