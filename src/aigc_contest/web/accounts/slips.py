"""Printable login slips (PDF, WeasyPrint): one card per student with the sign-in address, login name and
password, to cut out and hand over. Passwords are never stored: a slip is made from the passwords just
shown to the teacher, or from new ones set at the moment of printing."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from aigc_contest.web.core.translation import product_language


@dataclass(frozen=True)
class Slip:
    username: str
    display_name: str
    password: str


def render_slips(slips: list[Slip], *, school_name: str) -> bytes:
    from weasyprint import HTML

    language = product_language()
    html = render_to_string("accounts/login_slips_pdf.html", {
        "slips": slips,
        "school_name": school_name,
        "sign_in_url": settings.SITE_URL.rstrip("/") + reverse("login"),
        "lang": language,
        "font": "Noto Sans CJK SC" if language == "zh-Hans" else "Noto Sans CJK TC",
    })
    return HTML(string=html).write_pdf()
