"""Reads for judging. The results embargo lives here and only here.

`published_results` and `published_awards` return nothing before the competition's announcement time
(`Competition.results_at`, to the microsecond); every page, API route, export and certificate that
shows a result or an award reads through them. Organisers preparing results use the preview in
services.py, which is a separate, organiser-only page.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from aigc_contest.web.contests.models import Category, Competition
from aigc_contest.web.judging.models import Assignment, Award, AwardKind, ForbiddenPair, Result, Round


def embargo_lifted(competition: Competition, now: datetime | None = None) -> bool:
    """The single embargo check: results exist for the public from `results_at` on."""
    return competition.results_published(now or timezone.now())


def deciding_round(competition: Competition) -> Round | None:
    """The latest round (final > scoring > screening) that has confirmed results."""
    rounds = [r for r in competition.rounds.all() if r.results.exists()]
    if not rounds:
        return None
    return max(rounds, key=lambda r: Round.KIND_ORDER.get(r.kind, 0))


def published_results(competition: Competition, now: datetime | None = None) -> QuerySet[Result]:
    if not embargo_lifted(competition, now):
        return Result.objects.none()
    chosen = deciding_round(competition)
    if chosen is None:
        return Result.objects.none()
    return Result.objects.filter(round=chosen).select_related("entry__team__school", "category", "version")


def published_awards(competition: Competition, now: datetime | None = None) -> QuerySet[Award]:
    if not embargo_lifted(competition, now):
        return Award.objects.none()
    return Award.objects.filter(category__competition=competition).select_related(
        "entry__team__school", "category", "result__version"
    ).prefetch_related("entry__team__members")


@dataclass
class GalleryCategory:
    category: Category
    awards: list[Award] = field(default_factory=list)


def winners_gallery(competition: Competition, now: datetime | None = None) -> list[GalleryCategory]:
    by_category: dict[int, GalleryCategory] = {}
    for category in competition.categories.all():
        by_category[category.pk] = GalleryCategory(category)
    order = {kind: position for position, kind in enumerate(AwardKind.values)}
    for award in published_awards(competition, now):
        by_category[award.category_id].awards.append(award)
    for group in by_category.values():
        group.awards.sort(key=lambda a: (order.get(a.kind, 9), a.result.rank if a.result else 0, a.pk))
    return [g for g in by_category.values() if g.awards]


# ---------------------------------------------------------------- judges


def assignments_for_judge(judge: Any) -> QuerySet[Assignment]:
    return (
        Assignment.objects.filter(judge=judge, round__is_open=True)
        .select_related("round__competition", "entry__category", "version")
        .order_by("round__competition", "status", "id")
    )


# ---------------------------------------------------------------- organisers


@dataclass
class JudgeProgress:
    judge: Any
    assigned: int
    submitted: int
    abstained: int

    @property
    def percent(self) -> int:
        todo = self.assigned - self.abstained
        return 100 if todo <= 0 else round(100 * self.submitted / todo)


@dataclass
class CategoryProgress:
    category: Category
    entries: int
    sheets: int
    submitted: int

    @property
    def percent(self) -> int:
        return 100 if not self.sheets else round(100 * self.submitted / self.sheets)


def round_progress(round_: Round) -> tuple[list[JudgeProgress], list[CategoryProgress]]:
    per_judge = (
        Assignment.objects.filter(round=round_)
        .values("judge")
        .annotate(
            assigned=Count("id"),
            submitted=Count("id", filter=Q(status=Assignment.Status.SUBMITTED)),
            abstained=Count("id", filter=Q(status=Assignment.Status.ABSTAINED)),
        )
    )
    from aigc_contest.web.accounts.models import User

    users = {u.pk: u for u in User.objects.filter(pk__in=[row["judge"] for row in per_judge])}
    judges = [JudgeProgress(users[row["judge"]], row["assigned"], row["submitted"], row["abstained"])
              for row in per_judge]
    judges.sort(key=lambda p: str(p.judge))
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    entries: dict[int, set[int]] = defaultdict(set)
    for category_id, entry_id, status in Assignment.objects.filter(round=round_).values_list(
        "entry__category_id", "entry_id", "status"
    ):
        if status == Assignment.Status.ABSTAINED:
            continue
        entries[category_id].add(entry_id)
        counts[category_id][0] += 1
        counts[category_id][1] += status == Assignment.Status.SUBMITTED
    categories = [
        CategoryProgress(c, len(entries[c.pk]), counts[c.pk][0], counts[c.pk][1])
        for c in round_.competition.categories.all()
    ]
    return judges, categories


def assignment_csv_rows(round_: Round) -> list[list[object]]:
    """The round's assignment as CSV rows for the organisers' spreadsheet round trip.

    The first three columns are the core's `entry,judge,pinned` (entry number, judge's user name, 1 for
    a pair pinned by hand); the rest say what the row is about and are ignored when the file comes back.
    Abstentions are left out: they stay as they are whatever the file says."""
    from aigc_contest.judging.csv_assignments import COLUMNS

    rows: list[list[object]] = [[*COLUMNS, "status", "title", "category"]]
    assignments = (
        Assignment.objects.filter(round=round_).exclude(status=Assignment.Status.ABSTAINED)
        .select_related("judge", "entry__category").order_by("entry_id", "judge__username")
    )
    for a in assignments:
        rows.append([a.entry_id, a.judge.username, int(a.pinned), a.status, a.entry.title, a.entry.category.slug])
    return rows


def forbidden_pairs(round_: Round) -> QuerySet[ForbiddenPair]:
    return ForbiddenPair.objects.filter(round=round_).select_related("judge", "entry")
