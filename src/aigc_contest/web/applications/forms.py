from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def _https(value: str) -> None:
    if value and not value.startswith("https://"):
        raise ValidationError(_("Use an https:// address."), code="https")


class DetailsForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput)
    name = forms.CharField(label=_("Name of the application"), max_length=120)
    description_en = forms.CharField(
        label=_("Description (English)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    description_zh_hant = forms.CharField(
        label=_("Description (Traditional Chinese)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    description_zh_hans = forms.CharField(
        label=_("Description (Simplified Chinese)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    demo_url = forms.URLField(
        label=_("Demo address"), required=False, max_length=300, assume_scheme="https", validators=[_https]
    )
    repository_url = forms.URLField(
        label=_("Source code repository"),
        required=False,
        max_length=300,
        assume_scheme="https",
        validators=[_https],
    )
    models_used = forms.CharField(
        label=_("Models and APIs it uses"),
        required=False,
        max_length=800,
        help_text=_("One per line, e.g. Wukong-Huahua, Qwen2.5-7B-Instruct."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):  # type: ignore[no-untyped-def]
        data = super().clean()
        if not any(data.get(f) for f in ("description_en", "description_zh_hant", "description_zh_hans")):
            self.add_error("description_en", _("Describe the application in at least one language."))
        return data

    def values(self) -> dict[str, object]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "description": {
                "en": data["description_en"],
                "zh-Hant": data["description_zh_hant"],
                "zh-Hans": data["description_zh_hans"],
            },
            "demo_url": data["demo_url"],
            "repository_url": data["repository_url"],
            "models_used": [line.strip() for line in data["models_used"].splitlines() if line.strip()],
        }


class ScreenshotForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput)
    screenshot = forms.FileField(label=_("Screenshot (PNG, JPEG or WebP)"))
    alt = forms.CharField(label=_("What the screenshot shows"), max_length=200)


class SourceForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput)
    archive = forms.FileField(label=_("Source code as a ZIP archive (optional)"))


class VideoForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput)
    video = forms.FileField(label=_("A short video (MP4 or WebM, at most 3 minutes and 50 MB; optional)"))
