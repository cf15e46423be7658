"""The safety audit log (one row per refused or flagged check) and each school's own safety settings.

A row keeps what a teacher needs to review a decision: who, where, which layer and category fired, the
matched terms and a short excerpt of the text. For images it keeps at most the file's SHA-256, never the
picture. Children never see these rows.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from aigc_contest.safety import DEFAULT_POLICY, SafetyPolicy
from aigc_contest.safety.messages import parse_help_resources

EXCERPT_CHARS = 300


def split_terms(text: str) -> tuple[str, ...]:
    """One term per line, blanks and repeats dropped (order kept)."""
    return tuple(dict.fromkeys(line.strip() for line in (text or "").splitlines() if line.strip()))


class SafetyEvent(models.Model):
    class Where(models.TextChoices):
        PROMPT = "prompt", _("Prompt")
        GENERATED_TEXT = "generated_text", _("Generated text")
        GENERATED_IMAGE = "generated_image", _("Generated picture")
        UPLOAD = "upload", _("Upload")

    class Outcome(models.TextChoices):
        ALLOWED = "allowed", _("Allowed")
        REFUSED = "refused", _("Refused")
        NEEDS_REVIEW = "needs_review", _("Needs review")

    class Decision(models.TextChoices):
        PENDING = "", _("Not reviewed yet")
        APPROVED = "approved", _("Approved (it was fine)")
        KEPT_BLOCKED = "kept_blocked", _("Kept blocked")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="safety_events"
    )
    school = models.ForeignKey(
        "accounts.School", null=True, blank=True, on_delete=models.SET_NULL, related_name="safety_events"
    )
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    where = models.CharField(_("where"), max_length=20, choices=Where.choices)
    layer = models.CharField(_("layer"), max_length=40, blank=True)
    category = models.CharField(_("category"), max_length=40, blank=True)
    score = models.FloatField(_("score"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=14, choices=Outcome.choices)
    matched = models.JSONField(_("matched terms"), default=list, blank=True)  # teachers and organisers only
    excerpt = models.CharField(_("excerpt"), max_length=EXCERPT_CHARS, blank=True)  # text only, never images
    content_sha256 = models.CharField(_("content SHA-256"), max_length=64, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    decision = models.CharField(_("decision"), max_length=14, choices=Decision.choices, blank=True, default="")
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["school", "decision", "created_at"])]
        verbose_name = _("safety event")
        verbose_name_plural = _("safety events")

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} {self.get_where_display()} ({self.category or '-'}) #{self.pk}"

    @property
    def is_reviewed(self) -> bool:
        return bool(self.decision)


class SchoolSafetyPolicy(models.Model):
    """A school's additions to the platform's safety settings; `as_policy()` is what its students get."""

    school = models.OneToOneField("accounts.School", on_delete=models.CASCADE, related_name="safety_policy")
    extra_blocked_terms = models.TextField(
        _("extra blocked words"), blank=True, help_text=_("One word or phrase per line, in any language.")
    )
    allowed_terms = models.TextField(
        _("allowed words"),
        blank=True,
        help_text=_("One per line. Lets through a word the built-in lists block, e.g. for a history project."),
    )
    safety_contact_email = models.EmailField(
        _("safety contact e-mail"),
        blank=True,
        help_text=_(
            "Told privately (no words or pictures in the e-mail) when a student's work suggests they may be "
            "at risk of harming themselves."
        ),
    )
    help_resources = models.TextField(
        _("help for students"),
        blank=True,
        help_text=_(
            "Shown to a student whose words suggest they may be at risk. One per line: name | phone | web "
            "address (phone and address optional)."
        ),
    )
    tier_overrides = models.JSONField(
        _("guard model rules"),
        default=dict,
        blank=True,
        help_text=_(
            'Changes to what the guard model\'s verdicts do, per category and age band, e.g. '
            '{"violence": {"senior_secondary": {"controversial": "review"}}}. Actions: refuse, review, allow.'
        ),
    )
    nsfw_threshold = models.FloatField(
        _("picture strictness"),
        default=DEFAULT_POLICY.nsfw_threshold,
        validators=[MinValueValidator(0.05), MaxValueValidator(0.95)],
        help_text=_("Pictures scoring at least this (0 to 1) are blocked. Lower is stricter."),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("school safety policy")
        verbose_name_plural = _("school safety policies")

    def __str__(self) -> str:
        return f"safety policy of {self.school}"

    def as_policy(self, base: SafetyPolicy = DEFAULT_POLICY) -> SafetyPolicy:
        changes: dict[str, Any] = {
            "extra_blocked_terms": base.extra_blocked_terms + split_terms(self.extra_blocked_terms),
            "allowed_terms": base.allowed_terms + split_terms(self.allowed_terms),
            "nsfw_threshold": self.nsfw_threshold,
            # "needs review" stays below "blocked"
            "nsfw_review_threshold": min(base.nsfw_review_threshold, self.nsfw_threshold),
        }
        if resources := parse_help_resources(self.help_resources):
            changes["help_resources"] = resources
        if self.tier_overrides:
            # Validated like any policy (an unknown action or band is an error, not silently ignored).
            overrides = SafetyPolicy.model_validate({"tier_overrides": self.tier_overrides}).tier_overrides
            changes["tier_overrides"] = {**base.tier_overrides, **overrides}
        return base.model_copy(update=changes)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError
        from pydantic import ValidationError as PydanticError

        try:
            SafetyPolicy.model_validate({"tier_overrides": self.tier_overrides or {}})
            parse_help_resources(self.help_resources)
        except PydanticError as exc:
            raise ValidationError(str(exc)) from exc
