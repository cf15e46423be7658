"""Rounds, judge panels, assignments, scores, conflicts, confirmed results and awards.

Scores are kept per (assignment, criterion); an assignment pairs one judge with one entry's submitted
version in one round. Results are written only when an organiser confirms an aggregation method, so
numbers computed for comparison never change a recorded rank by themselves.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from aigc_contest.web.contests.models import Category, Competition, Criterion
from aigc_contest.web.entries.models import Entry, EntryVersion


class Round(models.Model):
    class Kind(models.TextChoices):
        SCREENING = "screening", _("Screening")
        SCORING = "scoring", _("Scoring")
        FINAL = "final", _("Final")

    # Later rounds decide: the results of the latest round that has confirmed results are the published ones.
    KIND_ORDER: dict[str, int] = {Kind.SCREENING: 0, Kind.SCORING: 1, Kind.FINAL: 2}

    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="rounds")
    kind = models.CharField(_("round"), max_length=12, choices=Kind.choices, default=Kind.SCORING)
    judges_per_entry = models.PositiveSmallIntegerField(_("judges per entry"), default=3)
    is_open = models.BooleanField(_("open for scoring"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # A round promoted from an earlier one judges that round's shortlist only; a round without one judges
    # every submitted entry (as every round did before shortlists).
    source = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_rounds",
                               verbose_name=_("shortlist from"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    due_at = models.DateTimeField(_("scores due"), null=True, blank=True,
                                  help_text=_("When judges should have submitted their score sheets."))
    remind_days_before = models.PositiveSmallIntegerField(
        _("remind judges this many days before"), default=2,
        help_text=_("Judges with sheets left get a reminder then, and another on the due date."))
    # The shortlist planned for the round after this one (set up in advance, or the last promotion's rule):
    # the top N of each category, or every entry scoring at least the cut-off. Promoting without a rule
    # uses it.
    promote_top = models.PositiveIntegerField(_("entries of each category that go on"), null=True, blank=True)
    promote_cutoff = models.FloatField(_("or every entry scoring at least"), null=True, blank=True)

    class Meta:
        ordering = ["competition", "created_at"]
        unique_together = [("competition", "kind")]
        verbose_name = _("judging round")
        verbose_name_plural = _("judging rounds")

    def __str__(self) -> str:
        return f"{self.competition.slug}: {self.get_kind_display()}"


class ShortlistEntry(models.Model):
    """An entry promoted into a round from the round before it, with the score and rank it had there."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="shortlist")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(EntryVersion, on_delete=models.PROTECT, related_name="+")
    from_round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(help_text=_("The score in the earlier round (0–100)."))
    rank = models.PositiveIntegerField(null=True, blank=True)
    method = models.CharField(max_length=40)
    promoted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    promoted_at = models.DateTimeField()

    class Meta:
        ordering = ["round", "entry__category", "rank", "entry"]
        unique_together = [("round", "entry")]
        verbose_name = _("shortlisted entry")
        verbose_name_plural = _("shortlisted entries")

    def __str__(self) -> str:
        return f"{self.entry_id} → {self.round} (#{self.rank})"


class JudgeReminder(models.Model):
    """A reminder e-mail sent to a judge about a round's due date; at most one of each kind."""

    class Kind(models.TextChoices):
        BEFORE = "before", _("Days before the due date")
        DUE = "due", _("On the due date")

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="reminders")
    judge = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    due_at = models.DateTimeField(help_text=_("The due date the reminder was about."))
    sent_at = models.DateTimeField()

    class Meta:
        unique_together = [("round", "judge", "kind", "due_at")]
        verbose_name = _("judge reminder")
        verbose_name_plural = _("judge reminders")

    def __str__(self) -> str:
        return f"{self.judge} {self.kind} {self.round}"


class PanelMembership(models.Model):
    """A judge on a round's panel, with load bounds and (optionally) the categories they judge."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="panel")
    judge = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="panels")
    categories = models.ManyToManyField(
        Category, blank=True, related_name="+", help_text=_("Leave empty for every category.")
    )
    min_load = models.PositiveSmallIntegerField(_("fewest entries"), default=0)
    max_load = models.PositiveSmallIntegerField(_("most entries"), default=20)

    class Meta:
        unique_together = [("round", "judge")]
        verbose_name = _("panel member")
        verbose_name_plural = _("panel members")

    def __str__(self) -> str:
        return f"{self.judge} in {self.round}"


class Assignment(models.Model):
    class Status(models.TextChoices):
        ASSIGNED = "assigned", _("To score")
        SUBMITTED = "submitted", _("Submitted")
        ABSTAINED = "abstained", _("Abstained")

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="assignments")
    judge = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="judging_assignments")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="assignments")
    version = models.ForeignKey(EntryVersion, on_delete=models.PROTECT, related_name="assignments")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ASSIGNED)
    comment = models.TextField(_("comment for the organisers"), blank=True, max_length=4000)
    pinned = models.BooleanField(default=False, help_text=_("Set by hand; kept when judges are re-assigned."))
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["round", "judge", "id"]
        unique_together = [("round", "judge", "entry")]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")

    def __str__(self) -> str:
        return f"{self.judge} → {self.entry_id} ({self.round})"

    @property
    def blind_code(self) -> str:
        """A code that names the entry to judges without saying whose it is (stable per round and entry)."""
        digest = hashlib.sha256(f"{settings.SECRET_KEY}:{self.round_id}:{self.entry_id}".encode()).hexdigest()
        return digest[:6].upper()


class ForbiddenPair(models.Model):
    """An organiser's manual override: this judge must not judge this entry in this round.

    The solver treats it like a conflict of interest; unlike a declared conflict it is set by the
    organisers, applies to one round only, and can be lifted again."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="forbidden_pairs")
    judge = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="+")
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["round", "entry", "judge"]
        unique_together = [("round", "judge", "entry")]
        verbose_name = _("forbidden pairing")
        verbose_name_plural = _("forbidden pairings")

    def __str__(self) -> str:
        return f"{self.judge} ✕ {self.entry_id} ({self.round})"


class Score(models.Model):
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(max_digits=6, decimal_places=2)
    comment = models.TextField(blank=True, max_length=2000)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        unique_together = [("assignment", "criterion")]
        verbose_name = _("score")
        verbose_name_plural = _("scores")

    def __str__(self) -> str:
        return f"{self.criterion.key}={self.value}"


class ConflictDeclaration(models.Model):
    """A judge's declared conflict of interest with one entry or with a whole school."""

    judge = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conflicts")
    competition = models.ForeignKey(Competition, on_delete=models.CASCADE, related_name="+")
    entry = models.ForeignKey(Entry, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey("accounts.School", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # The round the judge was working in when they declared it (their home page lists it there).
    round = models.ForeignKey(Round, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    declared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-declared_at"]
        verbose_name = _("declared conflict")
        verbose_name_plural = _("declared conflicts")

    def __str__(self) -> str:
        return f"{self.judge}: {self.entry_id or self.school_id}"


class AggregationMethod(models.TextChoices):
    """The core's aggregation methods (aigc_contest.judging.METHODS), by name; a result records the
    versioned name ("mean@1"). Labels are the names: organisers see them in the method picker and in results."""

    MEAN = "mean", "mean"
    MEDIAN = "median", "median"
    TRIMMED = "trimmed", "trimmed"
    ZSCORE = "zscore", "zscore"
    CALIBRATED = "calibrated", "calibrated"
    CALIBRATED_SCALE = "calibrated-scale", "calibrated-scale"


DEFAULT_METHOD = AggregationMethod.MEAN


class Result(models.Model):
    """One entry's confirmed result in a round, under the named, versioned aggregation method."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="results")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="results")
    version = models.ForeignKey(EntryVersion, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    method = models.CharField(max_length=40)
    raw_score = models.FloatField(help_text=_("Mean of the judges' sheet scores (0–100)."))
    score = models.FloatField(help_text=_("The score under the method (0–100)."))
    rank = models.PositiveIntegerField(null=True, blank=True)
    n_judges = models.PositiveSmallIntegerField(default=0)
    tiebreak = models.JSONField(default=dict, blank=True)
    criteria = models.JSONField(default=dict, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField()

    class Meta:
        ordering = ["round", "category", "rank", "entry"]
        unique_together = [("round", "entry")]
        verbose_name = _("result")
        verbose_name_plural = _("results")

    def __str__(self) -> str:
        return f"{self.entry} #{self.rank} ({self.method})"


class AwardKind(models.TextChoices):
    """Award kinds, declared best first (galleries and the award slots follow this order)."""

    FIRST = "first", _("First place")
    SECOND = "second", _("Second place")
    THIRD = "third", _("Third place")
    MERIT = "merit", _("Merit")


# Certificates are bilingual whatever the page language: English and both Chinese scripts.
AWARD_NAMES = {
    AwardKind.FIRST: ("First place", "冠軍", "冠军"),
    AwardKind.SECOND: ("Second place", "亞軍", "亚军"),
    AwardKind.THIRD: ("Third place", "季軍", "季军"),
    AwardKind.MERIT: ("Merit", "優異獎", "优异奖"),
}


class AwardRule(models.Model):
    """How many places of a kind a category awards (e.g. first 1, second 1, third 1, merit 5)."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="award_rules")
    kind = models.CharField(max_length=10, choices=AwardKind.choices)
    places = models.PositiveSmallIntegerField(default=1)

    class Meta:
        unique_together = [("category", "kind")]
        verbose_name = _("award rule")
        verbose_name_plural = _("award rules")

    def __str__(self) -> str:
        return f"{self.category}: {self.places} × {self.kind}"


class Award(models.Model):
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="awards")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="awards")
    result = models.ForeignKey(Result, null=True, blank=True, on_delete=models.SET_NULL, related_name="awards")
    kind = models.CharField(max_length=10, choices=AwardKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["category", "result__rank", "id"]
        unique_together = [("category", "entry")]
        verbose_name = _("award")
        verbose_name_plural = _("awards")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.entry}"


class ResultsNotice(models.Model):
    """The results e-mail of a competition, queued once after the announcement instant.

    The row is made in the same transaction as the e-mail jobs, and a competition has at most one, so
    however many workers pass the instant together, every team is written to once."""

    competition = models.OneToOneField(Competition, on_delete=models.CASCADE, related_name="+")
    round = models.ForeignKey(Round, null=True, on_delete=models.SET_NULL, related_name="+")
    queued_at = models.DateTimeField()
    messages = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("results e-mail")
        verbose_name_plural = _("results e-mails")

    def __str__(self) -> str:
        return f"{self.competition.slug}: {self.messages} at {self.queued_at:%Y-%m-%d %H:%M}"
