from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

PROMPT_MAX = 500
CAPTION_MAX = 300
SEED_MAX = 2**32 - 1


class MakePicturesForm(forms.Form):
    prompt = forms.CharField(
        label=_("What would you like to see?"), max_length=PROMPT_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        error_messages={"required": _("Please write what you would like to see.")},
    )
    negative_prompt = forms.CharField(
        label=_("Things to leave out (optional)"), max_length=PROMPT_MAX, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    model = forms.ChoiceField(label=_("Picture maker"))
    n = forms.TypedChoiceField(
        label=_("How many pictures?"), coerce=int, initial=2, widget=forms.RadioSelect,
        choices=[(1, "1"), (2, "2"), (3, "3"), (4, "4")],
    )
    seed = forms.IntegerField(
        label=_("Magic number (seed)"), min_value=0, max_value=SEED_MAX, required=False,
        help_text=_("The same number and words make the same pictures again. Leave it empty for a surprise."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, models: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["model"]).choices = models


class PickForm(forms.Form):
    asset = forms.IntegerField(min_value=1)
    caption = forms.CharField(
        label=_("A short caption for your picture (optional)"), max_length=CAPTION_MAX, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
