"""The fine-tuned model picker every studio shows (the image studio inside its make form, the storybook
studio on its own): the team's own LoRAs and a weight, 0 to 1.5 (a number input; static/js/lora_picker.js
adds a slider beside it)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from aigc_contest.web.works.selectors import OfferedLora

WEIGHT_MIN, WEIGHT_MAX, WEIGHT_DEFAULT = 0.0, 1.5, 0.8


class LoraPickForm(forms.Form):
    lora = forms.TypedChoiceField(label=_("Your fine-tuned model"), required=False, coerce=int, empty_value=None)
    lora_weight = forms.FloatField(
        label=_("How strongly to use it"), min_value=WEIGHT_MIN, max_value=WEIGHT_MAX, required=False,
        initial=WEIGHT_DEFAULT,
        widget=forms.NumberInput(attrs={"step": "0.05", "min": "0", "max": "1.5", "inputmode": "decimal",
                                        "data-lora-weight": ""}),
    )

    def __init__(self, *args: Any, offered: list[OfferedLora], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("None"))] + [(str(lora.source), f"{lora.title} ({lora.base_model})") for lora in offered]
        cast(forms.ChoiceField, self.fields["lora"]).choices = choices

    def choice(self) -> tuple[int | None, float]:
        """The chosen fine-tuning work (None: none) and its weight (the default when left empty)."""
        weight = self.cleaned_data.get("lora_weight")
        return self.cleaned_data.get("lora"), WEIGHT_DEFAULT if weight is None else float(weight)


def initial_for(work: Any) -> dict[str, Any]:
    """The picker as the work last used it."""
    from aigc_contest.web.works.models import PictureLora

    chosen = PictureLora.objects.filter(work=work).first() if work is not None else None
    return {"lora": chosen.source_id, "lora_weight": chosen.weight} if chosen else {}
