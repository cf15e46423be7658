"""What the accounts app tells the apps above it, which it does not import."""

from __future__ import annotations

from django.dispatch import Signal

# Sent with `teacher` (the user who registered them) and `students` (the new users) once new student
# accounts exist; the notifications app writes the teacher the list of usernames.
students_created = Signal()
