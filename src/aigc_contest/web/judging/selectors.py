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
from enum import StrEnum
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from aigc_contest.web.contests.models import Category, Competition
from aigc_contest.web.entries.models import Entry
from aigc_contest.web.judging.models import (
    Assignment,
    Award,
    AwardKind,
    ConflictDeclaration,
    ForbiddenPair,
    Result,
    ResultsNotice,
    Round,
    ShortlistEntry,
)


def embargo_lifted(competition: Competition, now: datetime | None = None) -> bool:
    """The single embargo check: results exist for the public from `results_at` on."""
    return competition.results_published(now or timezone.now())


def deciding_round(competition: Competition) -> Round | None:
    """The latest round (final > scoring > screening) that has confirmed results and whose shortlist went
    on to no later round: once a round has promoted its best entries, the results come from the round they
    went to (and none are out until that round's are confirmed)."""
    rounds = [r for r in competition.rounds.all() if r.results.exists() and not r.next_rounds.exists()]
    if any(r.next_rounds.exists() for r in competition.rounds.all()):
        last = max(competition.rounds.all(), key=lambda r: Round.KIND_ORDER.get(r.kind, 0))
        rounds = [r for r in rounds if r.pk == last.pk]
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


# ---------------------------------------------------------------- entrants


@dataclass
class EntryOutcome:
    """What a team and its teacher see of their entry once the results are announced."""

    rank: int | None
    award: Award | None
    n_judges: int


def entry_outcome(entry: Entry, now: datetime | None = None) -> EntryOutcome | None:
    """The entry's published rank and award, or None (before the announcement, or when it has neither).

    Reads through `published_results` and `published_awards`, so the embargo holds here as everywhere."""
    competition = entry.category.competition
    result = published_results(competition, now).filter(entry=entry).first()
    award = published_awards(competition, now).filter(entry=entry).first()
    if result is None and award is None:
        return None
    return EntryOutcome(rank=result.rank if result else None, award=award, n_judges=result.n_judges if result else 0)


# ---------------------------------------------------------------- judges


def assignments_for_judge(judge: Any) -> QuerySet[Assignment]:
    return (
        Assignment.objects.filter(judge=judge, round__is_open=True)
        .select_related("round__competition", "entry__category", "version")
        .order_by("round__competition", "status", "id")
    )


class SheetState(StrEnum):
    TODO = "todo"
    SAVED = "saved"
    SUBMITTED = "submitted"
    ABSTAINED = "abstained"
    CONFLICT = "conflict"


SHEET_STATE_LABELS = {
    SheetState.TODO: gettext_lazy("To do"),
    SheetState.SAVED: gettext_lazy("Saved, not submitted"),
    SheetState.SUBMITTED: gettext_lazy("Submitted"),
    SheetState.ABSTAINED: gettext_lazy("Abstained"),
    SheetState.CONFLICT: gettext_lazy("Conflict declared"),
}


@dataclass
class JudgeSheet:
    """One line of a judge's home page: a blind entry code, its category and where the judge is with it."""

    code: str
    category: Category
    state: SheetState
    assignment: Assignment | None = None  # None for a declared conflict (the assignment is gone)

    @property
    def state_label(self) -> str:
        return str(SHEET_STATE_LABELS[self.state])


@dataclass
class JudgeRound:
    round: Round
    sheets: list[JudgeSheet] = field(default_factory=list)

    @property
    def competition(self) -> Competition:
        return self.round.competition

    @property
    def due(self) -> datetime:
        """The round's due date, or (a round without one) the results announcement, when judging ends."""
        return self.round.due_at or self.round.competition.results_at

    @property
    def has_due_date(self) -> bool:
        return self.round.due_at is not None

    @property
    def done(self) -> int:
        return sum(s.state == SheetState.SUBMITTED for s in self.sheets)

    @property
    def counted(self) -> int:
        """Sheets that are the judge's work (abstentions and conflicts are not)."""
        return sum(s.state in {SheetState.TODO, SheetState.SAVED, SheetState.SUBMITTED} for s in self.sheets)

    @property
    def percent(self) -> int:
        if not self.counted:
            return 100
        return min(99, round(100 * self.done / self.counted)) if self.left else 100

    def overdue(self, now: datetime | None = None) -> bool:
        return self.round.due_at is not None and self.left > 0 and (now or timezone.now()) > self.round.due_at

    @property
    def left(self) -> int:
        return sum(s.state in {SheetState.TODO, SheetState.SAVED} for s in self.sheets)


def judge_rounds(judge: Any) -> list[JudgeRound]:
    """The judge's open rounds, each with its sheets (to do first) and the conflicts declared in it."""
    rounds: dict[int, JudgeRound] = {}
    assignments = assignments_for_judge(judge).annotate(n_scores=Count("scores"))
    for a in assignments:
        group = rounds.setdefault(a.round_id, JudgeRound(a.round))
        if a.status == Assignment.Status.SUBMITTED:
            state = SheetState.SUBMITTED
        elif a.status == Assignment.Status.ABSTAINED:
            state = SheetState.ABSTAINED
        else:
            state = SheetState.SAVED if a.n_scores else SheetState.TODO  # type: ignore[attr-defined]
        group.sheets.append(JudgeSheet(a.blind_code, a.entry.category, state, a))
    declared = ConflictDeclaration.objects.filter(
        judge=judge, round__is_open=True, entry__isnull=False
    ).select_related("round__competition", "entry__category")
    for d in declared:
        assert d.round is not None and d.entry is not None  # filtered above
        group = rounds.setdefault(d.round.pk, JudgeRound(d.round))
        code = Assignment(round=d.round, entry=d.entry).blind_code
        group.sheets.append(JudgeSheet(code, d.entry.category, SheetState.CONFLICT))
    order = list(SheetState)
    for group in rounds.values():
        group.sheets.sort(key=lambda s: (order.index(s.state), s.code))
    return sorted(rounds.values(), key=lambda g: (g.due, g.round.competition.pk,
                                                  Round.KIND_ORDER.get(g.round.kind, 0)))


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
class UnderJudged:
    """An entry that cannot reach k submitted sheets with the judges it has now (a conflict, an abstention,
    a judge too few): it needs another judge."""

    entry: Entry
    judges: int  # judges still on it (assigned or submitted)
    submitted: int
    needed: int


@dataclass
class CategoryProgress:
    """Progress counts sheets that count: at most k submitted sheets per entry, abstentions and declared
    conflicts never; an entry is judged when it has k of them."""

    category: Category
    entries: int
    sheets: int  # sheets still on the entries (assigned or submitted)
    submitted: int
    needed: int = 0  # entries × k
    done: int = 0  # submitted sheets that count (at most k per entry)
    judged: int = 0  # entries with k submitted sheets

    @property
    def percent(self) -> int:
        if not self.needed:  # no entries in the category
            return 100
        percent = round(100 * self.done / self.needed)
        return min(percent, 99) if self.done < self.needed else 100  # never 100 with a sheet missing


@dataclass
class RoundProgress:
    judges: list[JudgeProgress]
    categories: list[CategoryProgress]
    under_judged: list[UnderJudged]


def round_progress(round_: Round) -> RoundProgress:
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
    k = round_.judges_per_entry
    on_entry: dict[int, int] = defaultdict(int)  # entry → judges still on it
    submitted_on: dict[int, int] = defaultdict(int)
    for entry_id, status in Assignment.objects.filter(round=round_).exclude(
        status=Assignment.Status.ABSTAINED
    ).values_list("entry_id", "status"):
        on_entry[entry_id] += 1
        submitted_on[entry_id] += status == Assignment.Status.SUBMITTED
    # Every submitted entry counts, judged or not (an entry nobody was given to is the most under-judged).
    # A round promoted from an earlier one judges its shortlist only.
    judged_here = (Q(pk__in=ShortlistEntry.objects.filter(round=round_).values("entry_id"))
                   if round_.source_id else Q(category__competition=round_.competition))
    entries = list(
        Entry.objects.filter(
            (judged_here & Q(status=Entry.Status.SUBMITTED)) | Q(pk__in=list(on_entry))
        ).select_related("category").order_by("category_id", "pk")
    )
    by_category: dict[int, CategoryProgress] = {
        c.pk: CategoryProgress(c, 0, 0, 0) for c in round_.competition.categories.all()
    }
    under: list[UnderJudged] = []
    for entry in entries:
        progress = by_category.get(entry.category_id)
        if progress is None:
            continue
        on, submitted = on_entry[entry.pk], submitted_on[entry.pk]
        progress.entries += 1
        progress.sheets += on
        progress.submitted += submitted
        progress.needed += k
        progress.done += min(submitted, k)
        progress.judged += submitted >= k
        if on < k:
            under.append(UnderJudged(entry, on, submitted, k))
    return RoundProgress(judges, list(by_category.values()), under)


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


def results_notice(competition: Competition) -> ResultsNotice | None:
    """The competition's results e-mail, once it is queued."""
    return ResultsNotice.objects.filter(competition=competition).first()


def declared_conflicts(competition: Competition) -> QuerySet[ConflictDeclaration]:
    """Every conflict of interest the competition's judges declared, newest first, with its reason."""
    return ConflictDeclaration.objects.filter(competition=competition).select_related(
        "judge", "entry__category", "school", "round"
    )


def shortlist(round_: Round) -> QuerySet[ShortlistEntry]:
    """The entries promoted into `round_`, with the score and rank they had in the round before."""
    return ShortlistEntry.objects.filter(round=round_).select_related("entry__team", "entry__category", "from_round")


# ---------------------------------------------------------------- what could name a team to its judges


def team_names(entry: Entry) -> list[str]:
    """Every name that says whose an entry is: the team's, its members' (shown and login names), its school's."""
    team = entry.team
    names = [team.name]
    for display_name, username in team.members.values_list("display_name", "username"):
        names += [display_name, username]
    if team.school_id:
        school = team.school
        names += [school.name_en, school.name_zh_hant, school.name_zh_hans, school.code]
    return [n for n in names if n]


@dataclass
class ShownAddress:
    entry: Entry
    urls: list[str]
    names_team: bool  # an address spells the team's, a member's or the school's name


def addresses_shown(competition: Competition) -> list[ShownAddress]:
    """Submitted applications whose latest version shows judges a repository or demo address: blind judging
    hides names in the card, but an address is shown as it is and may say whose the entry is."""
    from aigc_contest.web.entries.models import EntryVersion
    from aigc_contest.web.judging.blind import address_names

    latest: dict[int, EntryVersion] = {}
    versions = (EntryVersion.objects.filter(entry__category__competition=competition, entry__work_type="application",
                                            entry__status=Entry.Status.SUBMITTED)
                .select_related("entry__team__school").order_by("entry_id", "-number"))  # fmt: skip
    for version in versions:
        latest.setdefault(version.entry_id, version)
    shown = []
    for version in latest.values():
        application = (version.meta or {}).get("application") or {}
        urls = [u for u in (application.get("repository_url"), application.get("demo_url")) if u]
        if urls:
            names = team_names(version.entry)
            shown.append(ShownAddress(version.entry, urls, any(address_names(u, names) for u in urls)))
    return sorted(shown, key=lambda s: s.entry.title.lower())
