"""Certificate PDFs with WeasyPrint: English and Chinese on one page, Noto CJK fonts embedded.

Rendering takes plain data (CertificateText) so the same layout serves single and bulk issuing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.template.loader import render_to_string

from aigc_contest.web.certificates.qr import qr_code


@dataclass
class CertificateText:
    title_en: str
    title_zh: str
    holder: str
    competition_en: str
    competition_zh: str
    category_en: str
    category_zh: str
    team: str
    award_en: str
    award_zh: str
    issued_on: str
    uuid: str
    verify_url: str
    chinese: str  # "zh-Hant" or "zh-Hans": the script of the Chinese lines (and the font's glyph forms)


# Fixed wording of the page, in both Chinese scripts (a certificate is bilingual whatever the page language).
LABELS = {
    "zh-Hant": {"certify": "茲證明", "issued": "發出日期", "number": "證書編號", "verify": "核實"},
    "zh-Hans": {"certify": "兹证明", "issued": "发出日期", "number": "证书编号", "verify": "核实"},
}


def render_pdf(text: CertificateText) -> bytes:
    from weasyprint import HTML

    html = render_to_string("certificates/pdf.html", {
        "c": text,
        "zh": LABELS.get(text.chinese, LABELS["zh-Hant"]),
        "qr_data_uri": qr_code(text.verify_url).svg_data_uri(scale=4, border=2),
        "font": "Noto Sans CJK SC" if text.chinese == "zh-Hans" else "Noto Sans CJK TC",
    })
    return HTML(string=html).write_pdf()
