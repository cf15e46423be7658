from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from aigc_contest.web.finetuning.models import FinetuneLimits


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input (the pattern Django's documentation gives)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class ImagesForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput)
    images = MultipleFileField(label=_("Pictures (PNG, JPEG or WebP; choose several at once)"))


class ZipForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput)
    archive = forms.FileField(label=_("Or a ZIP archive of pictures (captions as cat.txt beside cat.png)"),
                              widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}))


class RecipeForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput)
    base = forms.ChoiceField(label=_("Base model"))
    rank = forms.IntegerField(label=_("LoRA rank"))
    steps = forms.IntegerField(label=_("Training steps"))
    resolution = forms.IntegerField(label=_("Resolution (pixels)"))
    learning_rate = forms.FloatField(label=_("Learning rate"))
    seed = forms.IntegerField(label=_("Seed"), min_value=0, max_value=2**31 - 1, initial=0)

    def __init__(self, *args: Any, limits: FinetuneLimits, bases: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        base: Any = self.fields["base"]
        base.choices = [(name, name) for name in bases]
        for name, low, high in (("rank", limits.rank_min, limits.rank_max), ("steps", limits.steps_min, limits.steps_max),
                                ("resolution", limits.resolution_min, limits.resolution_max),
                                ("learning_rate", limits.learning_rate_min, limits.learning_rate_max)):  # fmt: skip
            field = self.fields[name]
            field.validators.append(_Bound(low, high))
            field.widget.attrs.update({"min": low, "max": high})
            field.help_text = _("From %(low)s to %(high)s.") % {"low": low, "high": high}
        self.fields["resolution"].widget.attrs["step"] = 8
        self.fields["learning_rate"].widget.attrs["step"] = "any"

    def recipe(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in ("base", "rank", "steps", "resolution", "learning_rate", "seed")}


class _Bound:
    def __init__(self, low: float, high: float) -> None:
        self.low, self.high = low, high

    def __call__(self, value: float) -> None:
        if value is not None and not self.low <= value <= self.high:
            raise forms.ValidationError(_("Choose a value from %(low)s to %(high)s.") % {"low": self.low, "high": self.high})


class LoraForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput)
    lora = forms.FileField(label=_("LoRA file (.safetensors)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".safetensors"}))


class DescriptionForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput)
    description = forms.CharField(label=_("About the model: what it draws, how you made the training set"),
                                  max_length=4000, widget=forms.Textarea(attrs={"rows": 6}))


class LimitsForm(forms.ModelForm):
    base_models = forms.MultipleChoiceField(
        label=_("Allowed base models"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every image model of the models file that can be fine-tuned."),
    )

    class Meta:
        model = FinetuneLimits
        fields = ["base_models", "rank_min", "rank_max", "steps_min", "steps_max", "resolution_min",
                  "resolution_max", "learning_rate_min", "learning_rate_max", "budget_steps", "sample_prompts"]
        widgets = {"sample_prompts": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, available: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = list(dict.fromkeys([*available, *(self.instance.base_models or [])]))
        models: Any = self.fields["base_models"]
        models.choices = [(n, n) for n in names]
        self.fields["learning_rate_min"].widget.attrs["step"] = "any"
        self.fields["learning_rate_max"].widget.attrs["step"] = "any"
        for name, low, high in (("learning_rate_min", 1e-8, 1.0), ("learning_rate_max", 1e-8, 1.0),
                                ("resolution_min", 64, 2048), ("resolution_max", 64, 2048), ("rank_min", 1, 256),
                                ("rank_max", 1, 256), ("steps_min", 1, 100_000), ("steps_max", 1, 100_000)):  # fmt: skip
            self.fields[name].validators.append(_Bound(low, high))

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}
