"""Certificate forms."""

from __future__ import annotations

from django import forms


class IssueCertificatesForm(forms.Form):
    """No input: the button queues the bulk issuing job for the competition named in the address."""
