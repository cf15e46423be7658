"""Competitions, their categories, themes, timeline and rubric.

All instants are stored in UTC; `Competition.timezone` is the zone the organiser types and reads the
timeline in and every page shows it in (`core/zoned.py`). What a typed time means (a deadline typed
"23:59" lasts to the end of that minute) is `contests/timeline.py`.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from aigc_contest.web.accounts.models import SchoolLevel
from aigc_contest.web.contests.timeline import TIMELINE_FIELDS
from aigc_contest.web.core.translation import TranslatedFieldsMixin

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class WorkType(models.TextChoices):
    IMAGE = "image", _("Image")
    STORYBOOK = "storybook", _("Storybook")
    NOVEL = "novel", _("Interactive novel")
    FINETUNED_MODEL = "finetuned_model", _("Fine-tuned model")
    APPLICATION = "application", _("Application")


class Stage(models.TextChoices):
    UPCOMING = "upcoming", _("Not open yet")
    REGISTRATION = "registration", _("Registration open")
    SUBMISSION = "submission", _("Open for submissions")
    JUDGING = "judging", _("Judging")
    RESULTS = "results", _("Results announced")


# Advisory signals a judge may see beside a work (the organiser hides any of them per competition).
JUDGE_SIGNALS = ("duplicates", "readability", "file_evidence", "relevance", "making")
JUDGE_SIGNAL_CHOICES = [
    ("duplicates", _("Near-duplicate pictures and texts")),
    ("readability", _("Readability for the category's age band")),
    ("file_evidence", _("What an uploaded picture's metadata says about how it was made")),
    ("relevance", _("Relevance to the theme (needs an embedding model)")),
    ("making", _("How it was made in the studio: models, candidates kept, texts rewritten")),
]


def default_judge_signals() -> list[str]:
    return list(JUDGE_SIGNALS)


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(_("Unknown time zone: %(tz)s"), params={"tz": value}) from exc


class Competition(TranslatedFieldsMixin, models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh_hant = models.CharField(_("name (Traditional Chinese)"), max_length=200, blank=True)
    name_zh_hans = models.CharField(_("name (Simplified Chinese)"), max_length=200, blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_zh_hant = models.TextField(_("description (Traditional Chinese)"), blank=True)
    description_zh_hans = models.TextField(_("description (Simplified Chinese)"), blank=True)
    organiser_name = models.CharField(_("organised by"), max_length=200, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Hong_Kong", validators=[validate_timezone])
    is_public = models.BooleanField(_("listed publicly"), default=True)
    teachers_may_help = models.BooleanField(
        _("teachers may help with drafts"), default=False,
        help_text=_("Off: teachers see their students' entries but only the students change and submit them. "
                    "On: a team's teacher may also edit, submit and withdraw; every change names the teacher."),
    )

    schools_must_join = models.BooleanField(
        _("schools ask to join"), default=False,
        help_text=_("On: a school's teams can submit only once an organiser has let the school in (schools ask "
                    "from their school page). Off: every eligible school takes part."),
    )

    past_editions = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="later_editions", verbose_name=_("earlier editions"),
        help_text=_("Entries are compared with these competitions' entries for near-duplicates."),
    )
    judge_signals = models.JSONField(
        _("advisory signals shown to judges"), default=default_judge_signals, blank=True,
        help_text=_(
            "Any of duplicates, readability, file_evidence, relevance, making. Signals never change a score or a"
            " rank."
        ),
    )

    # The timeline. Submission is allowed while submission_opens_at <= now < submission_deadline.
    registration_opens_at = models.DateTimeField(_("registration opens"))
    submission_opens_at = models.DateTimeField(_("submission opens"))
    submission_deadline = models.DateTimeField(_("submission deadline"))
    judging_starts_at = models.DateTimeField(_("judging starts"))
    results_at = models.DateTimeField(_("results announced"))
    ceremony_at = models.DateTimeField(_("award ceremony"), null=True, blank=True)

    class Meta:
        ordering = ["-submission_deadline"]
        verbose_name = _("competition")
        verbose_name_plural = _("competitions")

    def __str__(self) -> str:
        return self.name_en

    def clean(self) -> None:
        order = [
            ("registration_opens_at", self.registration_opens_at),
            ("submission_opens_at", self.submission_opens_at),
            ("submission_deadline", self.submission_deadline),
            ("judging_starts_at", self.judging_starts_at),
            ("results_at", self.results_at),
        ]
        for (_name_a, a), (name_b, b) in zip(order, order[1:], strict=False):
            if a and b and b < a:
                raise ValidationError({name_b: _("The timeline must run in order.")})
        if self.ceremony_at and self.results_at and self.ceremony_at < self.results_at:
            raise ValidationError({"ceremony_at": _("The ceremony comes after the results.")})

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.zone)

    def stage(self, now: datetime | None = None) -> Stage:
        now = now or timezone.now()
        if now >= self.results_at:
            return Stage.RESULTS
        if now >= self.submission_deadline:
            return Stage.JUDGING
        if now >= self.submission_opens_at:
            return Stage.SUBMISSION
        if now >= self.registration_opens_at:
            return Stage.REGISTRATION
        return Stage.UPCOMING

    def accepts_submissions(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.submission_opens_at <= now < self.submission_deadline

    def submission_closed(self, now: datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.submission_deadline

    def results_published(self, now: datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.results_at

    def timeline(self) -> list[tuple[StrOrPromise, datetime]]:
        """The dated events, labelled with the timeline fields' own names ("results announced" as an
        event, 公布結果), never with the stage names ("Results announced" as a state, 已公布結果):
        in Chinese a row whose date is still to come must not say it has happened."""
        stages: list[tuple[StrOrPromise, datetime]] = []
        for name in TIMELINE_FIELDS:
            instant = getattr(self, name)
            if instant is not None:
                field = self._meta.get_field(name)
                assert isinstance(field, models.DateTimeField)
                stages.append((capfirst(field.verbose_name), instant))
        return stages


class Theme(TranslatedFieldsMixin, models.Model):
    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="themes")
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_zh_hant = models.CharField(_("title (Traditional Chinese)"), max_length=200, blank=True)
    title_zh_hans = models.CharField(_("title (Simplified Chinese)"), max_length=200, blank=True)
    description_en = models.TextField(blank=True)
    description_zh_hant = models.TextField(blank=True)
    description_zh_hans = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["competition", "order", "id"]
        verbose_name = _("theme")
        verbose_name_plural = _("themes")

    def __str__(self) -> str:
        return self.title_en


class Category(TranslatedFieldsMixin, models.Model):
    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="categories")
    slug = models.SlugField(max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh_hant = models.CharField(_("name (Traditional Chinese)"), max_length=200, blank=True)
    name_zh_hans = models.CharField(_("name (Simplified Chinese)"), max_length=200, blank=True)
    description_en = models.TextField(blank=True)
    description_zh_hant = models.TextField(blank=True)
    description_zh_hans = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    # Eligibility.
    school_levels = models.JSONField(
        _("school levels"), default=list, help_text=_("Any of primary, secondary, sen, open.")
    )
    min_team_size = models.PositiveSmallIntegerField(_("smallest team"), default=1)
    max_team_size = models.PositiveSmallIntegerField(_("largest team"), default=1)
    work_types = models.JSONField(_("allowed work types"), default=list)
    any_theme = models.BooleanField(_("any theme"), default=False)
    themes = models.ManyToManyField(Theme, blank=True, related_name="categories")
    submission_limit = models.PositiveSmallIntegerField(
        _("final submissions allowed per entry"), default=5, help_text=_("Each final submission is a new version.")
    )
    max_upload_mb = models.PositiveSmallIntegerField(_("largest upload (MB)"), default=20)

    class Meta:
        ordering = ["competition", "order", "id"]
        unique_together = [("competition", "slug")]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return f"{self.competition.slug}/{self.slug}"

    def clean(self) -> None:
        bad_levels = set(self.school_levels) - set(SchoolLevel.values)
        if bad_levels:
            raise ValidationError({"school_levels": _("Unknown school levels: %s") % ", ".join(sorted(bad_levels))})
        bad_types = set(self.work_types) - set(WorkType.values)
        if bad_types:
            raise ValidationError({"work_types": _("Unknown work types: %s") % ", ".join(sorted(bad_types))})
        if self.min_team_size < 1 or self.max_team_size < self.min_team_size:
            raise ValidationError({"max_team_size": _("Team sizes must satisfy 1 ≤ smallest ≤ largest.")})

    def admits_level(self, level: str) -> bool:
        return SchoolLevel.OPEN in self.school_levels or level in self.school_levels

    @property
    def open_to_everyone(self) -> bool:
        """Teams without a school (adults, international teams) may enter too."""
        return SchoolLevel.OPEN in (self.school_levels or [])

    def work_type_labels(self) -> list[str]:
        labels = dict(WorkType.choices)
        return [str(labels.get(t, t)) for t in self.work_types]


class Criterion(TranslatedFieldsMixin, models.Model):
    """One line of a competition's weighted rubric; `descriptors` maps a score band to what it means."""

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="criteria")
    key = models.SlugField(max_length=40)
    name_en = models.CharField(max_length=200)
    name_zh_hant = models.CharField(max_length=200, blank=True)
    name_zh_hans = models.CharField(max_length=200, blank=True)
    weight = models.DecimalField(max_digits=5, decimal_places=2, default=25)
    min_score = models.PositiveSmallIntegerField(default=0)
    max_score = models.PositiveSmallIntegerField(default=10)
    descriptors = models.JSONField(default=dict, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["competition", "order", "id"]
        unique_together = [("competition", "key")]
        verbose_name = _("rubric criterion")
        verbose_name_plural = _("rubric criteria")

    def __str__(self) -> str:
        return f"{self.name_en} ({self.weight})"

    def clean(self) -> None:
        if self.max_score <= self.min_score:
            raise ValidationError({"max_score": _("The top score must be above the lowest.")})
        if self.weight <= 0:
            raise ValidationError({"weight": _("Weights are positive.")})


DEFAULT_CRITERIA = [
    # key, English, Traditional, Simplified
    ("ai_use", "Use of AI models", "AI 模型的運用", "AI 模型的运用"),
    ("creativity", "Creativity and originality", "創意與原創性", "创意与原创性"),
    ("relevance", "Relevance to the theme", "切合主題", "切合主题"),
    ("presentation", "Presentation and formatting", "表達與編排", "表达与编排"),
]


# ---------------------------------------------------------------- who runs a competition


class CompetitionRoleKind(models.TextChoices):
    """A person's power over one competition. Owner ⊃ organiser ⊃ viewer; judge stands apart (a judge scores
    the entries assigned to them and sees nothing else of the competition)."""

    OWNER = "owner", _("Owner")
    ORGANISER = "organiser", _("Organiser")
    VIEWER = "viewer", _("Viewer (read only)")
    JUDGE = "judge", _("Judge")


# Who holds at least the named power: reading pages needs a viewer, changing needs an organiser.
ROLES_AT_LEAST: dict[str, frozenset[str]] = {
    CompetitionRoleKind.OWNER: frozenset({CompetitionRoleKind.OWNER}),
    CompetitionRoleKind.ORGANISER: frozenset({CompetitionRoleKind.OWNER, CompetitionRoleKind.ORGANISER}),
    CompetitionRoleKind.VIEWER: frozenset(
        {CompetitionRoleKind.OWNER, CompetitionRoleKind.ORGANISER, CompetitionRoleKind.VIEWER}
    ),
    CompetitionRoleKind.JUDGE: frozenset({CompetitionRoleKind.JUDGE}),
}


class CompetitionRole(models.Model):
    """One person's role on one competition (a person may hold several, e.g. viewer and judge)."""

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="roles")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="competition_roles")
    role = models.CharField(_("role"), max_length=12, choices=CompetitionRoleKind.choices)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    granted_at = models.DateTimeField(_("granted"), auto_now_add=True)

    class Meta:
        ordering = ["competition", "role", "user__username"]
        verbose_name = _("competition role")
        verbose_name_plural = _("competition roles")
        constraints = [
            models.UniqueConstraint(fields=["competition", "user", "role"], name="one_role_of_a_kind_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_role_display()} of {self.competition}"


class InvitationRole(models.TextChoices):
    """What an invitation makes of the person who accepts it: a role on a competition, or a teacher of a school."""

    OWNER = "owner", _("Owner")
    ORGANISER = "organiser", _("Organiser")
    VIEWER = "viewer", _("Viewer (read only)")
    JUDGE = "judge", _("Judge")
    TEACHER = "teacher", _("Teacher")


class Invitation(models.Model):
    """A link sent by e-mail. Only a hash of the link's secret is kept: the database alone opens nothing."""

    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=12, choices=InvitationRole.choices)
    competition = models.ForeignKey(Competition, null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="invitations")
    school = models.ForeignKey("accounts.School", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(role="teacher", school__isnull=False, competition__isnull=True)
                           | (~models.Q(role="teacher") & models.Q(competition__isnull=False, school__isnull=True))),
                name="invitation_to_a_competition_or_a_school",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email}: {self.get_role_display()} of {self.competition or self.school}"

    def is_open(self, now: datetime | None = None) -> bool:
        return self.accepted_at is None and self.withdrawn_at is None and (now or timezone.now()) < self.expires_at


class JoinRequest(models.Model):
    """A school asks to take part in a competition; one of its organisers approves or declines."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an organiser")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="join_requests")
    school = models.ForeignKey("accounts.School", on_delete=models.CASCADE, related_name="join_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    message = models.CharField(_("message to the organisers"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        ordering = ["competition", "status", "created_at"]
        verbose_name = _("request to join")
        verbose_name_plural = _("requests to join")
        constraints = [models.UniqueConstraint(fields=["competition", "school"], name="one_join_request_per_school")]

    def __str__(self) -> str:
        return f"{self.school} → {self.competition} ({self.get_status_display()})"
