"""The QR code printed on a certificate: it encodes the public verification address."""

from __future__ import annotations

from typing import Any

from django.conf import settings

QR_ERROR_LEVEL = "m"  # survives a crease or a smudge on a printed certificate


def verify_url(certificate_uuid: object) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/verify/{certificate_uuid}"


def qr_code(url: str) -> Any:
    """A segno QR code for `url`; `qr_code(url).svg_data_uri()` embeds it in the PDF's HTML."""
    import segno

    return segno.make(url, error=QR_ERROR_LEVEL, micro=False)
