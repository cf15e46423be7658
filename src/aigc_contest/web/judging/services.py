"""Writes for judging: panels, assignment (through the core solver), scores, conflicts, results, awards."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import Count as models_count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from aigc_contest import judging as core
from aigc_contest.judging.agreement import ICC, JudgeAgreement
from aigc_contest.judging.distributions import Distribution
from aigc_contest.web.accounts.models import User
from aigc_contest.web.accounts.services import record_change
from aigc_contest.web.contests import signals as contest_signals
from aigc_contest.web.contests.models import Category, Competition, CompetitionRoleKind, Criterion
from aigc_contest.web.contests.roles_services import grant_role
from aigc_contest.web.contests.rules import is_competition_judge
from aigc_contest.web.core.errors import ServiceError, require
from aigc_contest.web.entries.models import Entry, EntryVersion
from aigc_contest.web.judging import selectors
from aigc_contest.web.judging.models import (
    Assignment,
    Award,
    AwardKind,
    AwardRule,
    ConflictDeclaration,
    ForbiddenPair,
    JudgeReminder,
    PanelMembership,
    Result,
    ResultsNotice,
    Round,
    Score,
    ShortlistEntry,
)
from aigc_contest.web.notifications import emails

DEFAULT_AWARD_PLACES = {AwardKind.FIRST: 1, AwardKind.SECOND: 1, AwardKind.THIRD: 1, AwardKind.MERIT: 0}
AWARD_ORDER = list(AwardKind)  # declared best first


def _not_after_publication(competition: Competition, now: datetime | None = None) -> None:
    if competition.results_published(now):
        raise ServiceError(_("Results have been announced; they can no longer be changed."), "published")


# ---------------------------------------------------------------- rounds and panels


def set_judge_signals(actor: User, competition: Competition, signals: Iterable[str]) -> list[str]:
    """Which advisory signals judges see beside the works (the organiser sees them all, always)."""
    from aigc_contest.web.contests.models import JUDGE_SIGNALS

    require(actor, "judging.manage_judging", competition)
    chosen = set(signals)
    unknown = chosen - set(JUDGE_SIGNALS)
    if unknown:
        raise ServiceError(_("Unknown signal: %(name)s") % {"name": ", ".join(sorted(unknown))})
    competition.judge_signals = [s for s in JUDGE_SIGNALS if s in chosen]
    competition.save(update_fields=["judge_signals"])
    return competition.judge_signals


def set_past_editions(actor: User, competition: Competition, editions: Iterable[Competition]) -> list[Competition]:
    """The earlier editions whose entries new entries are compared with for near-duplicates."""
    require(actor, "judging.manage_judging", competition)
    chosen = [c for c in editions if c.pk != competition.pk]
    competition.past_editions.set(chosen)
    return chosen


def open_round(actor: User, competition: Competition, kind: str = Round.Kind.SCORING, *, k: int = 3) -> Round:
    require(actor, "judging.manage_judging", competition)
    if kind not in Round.Kind.values:
        raise ServiceError(_("Unknown round."))
    if not 1 <= k <= 20:
        raise ServiceError(_("Judges per entry must be between 1 and 20."))
    round_, created = Round.objects.get_or_create(competition=competition, kind=kind, defaults={"judges_per_entry": k})
    if not created and round_.judges_per_entry != k:
        round_.judges_per_entry = k
        round_.save(update_fields=["judges_per_entry"])
    contest_signals.judging_opened.send(sender=Round, competition=competition, actor=actor)
    return round_


def add_judge(actor: User, round_: Round, judge: User, *, min_load: int = 0, max_load: int = 20,
              categories: Iterable[Category] = ()) -> PanelMembership:
    require(actor, "judging.manage_judging", round_.competition)
    if not (judge.is_judge or is_competition_judge(judge, round_.competition)):
        raise ServiceError(_("%(name)s is not a judge.") % {"name": judge})
    if max_load < min_load:
        raise ServiceError(_("The most entries must be at least the fewest."))
    # On the panel is a judge of the competition (what lets them open their assignments).
    grant_role(actor, round_.competition, judge, CompetitionRoleKind.JUDGE, checked=False)
    member, _created = PanelMembership.objects.update_or_create(
        round=round_, judge=judge, defaults={"min_load": min_load, "max_load": max_load}
    )
    member.categories.set(list(categories))
    return member


# ---------------------------------------------------------------- rounds that promote a shortlist


def next_kind(round_: Round) -> str | None:
    """The kind of round that follows `round_` (screening → scoring → final), or None after the final."""
    later = [k for k in Round.Kind.values if Round.KIND_ORDER[k] > Round.KIND_ORDER.get(round_.kind, 0)]
    return min(later, key=lambda k: Round.KIND_ORDER[k]) if later else None


def close_round(actor: User, round_: Round, now: datetime | None = None) -> Round:
    """No more scoring in the round: judges see it no more, its scores stay for the organisers."""
    require(actor, "judging.manage_judging", round_.competition)
    if not round_.is_open:
        return round_
    round_.is_open, round_.closed_at = False, now or timezone.now()
    round_.save(update_fields=["is_open", "closed_at"])
    record_change(actor, round_, "round closed", {"open": (True, False)}, competition=round_.competition_id)
    return round_


def reopen_round(actor: User, round_: Round) -> Round:
    """Scoring again in a closed round; refused once a round promoted from it has started."""
    competition = round_.competition
    require(actor, "judging.manage_judging", competition)
    _not_after_publication(competition)
    if Assignment.objects.filter(round__source=round_).exists():
        raise ServiceError(_("The next round has started with this round's shortlist; this round stays closed."),
                           "started")
    if round_.is_open:
        return round_
    round_.is_open, round_.closed_at = True, None
    round_.save(update_fields=["is_open", "closed_at"])
    record_change(actor, round_, "round reopened", {"open": (False, True)}, competition=competition.pk)
    return round_


@dataclass
class PromotionReport:
    round: Round  # the round the shortlist went to
    promoted: int
    per_category: dict[str, int]  # category slug -> entries promoted
    rule: str
    method: str


def _round_standings(round_: Round, method: str, accept_few_sheets: bool) -> tuple[str, list[tuple[Category, Entry, int, float | None, int | None]]]:
    """(method, [(category, entry, version id, score, rank)]) of a round: its confirmed results when it has
    them, else the results computed under `method` (refused with incomplete scores, as confirming is)."""
    confirmed = list(Result.objects.filter(round=round_).select_related("entry", "category"))
    if confirmed:
        return confirmed[0].method, [(r.category, r.entry, r.version_id, r.score, r.rank) for r in confirmed]
    preview = preview_results(round_, method)
    if preview.defects:
        raise ServiceError(_("Some scores are incomplete: %(defects)s") % {"defects": "; ".join(preview.defects[:5])},
                           "defects")
    if not preview.categories:
        raise ServiceError(_("No submitted scores yet."), "empty")
    if preview.few_sheets and not accept_few_sheets:
        raise ServiceError(
            _("%(method)s rescales each judge by their own scores, and these judges have fewer than %(n)d score "
              "sheets: %(judges)s. Confirm that you accept this, or choose another method.")
            % {"method": preview.method, "n": MIN_SHEETS_TO_NORMALISE, "judges": preview.few_sheets_text()},
            "few_sheets")
    return preview.method, [(category, row.entry, row.version_id, row.score, row.rank)
                            for category, rows in preview.categories for row in rows]


def promote_shortlist(actor: User, round_: Round, *, top: int | None = None, cutoff: float | None = None,
                      method: str = "mean", kind: str | None = None, k: int | None = None,
                      accept_few_sheets: bool = False, now: datetime | None = None) -> PromotionReport:
    """Close `round_` and send the best of each category on to the next round: the top `top` of each
    category (entries tied with the last place go on too) or every entry scoring at least `cutoff`.

    Without `top` and `cutoff`, the round's planned promotion (`set_promotion_plan`) is the rule; the rule
    used becomes the round's plan. The ranks are the round's confirmed results where it has them, else those
    computed under `method`.
    The next round (`kind`, by default the one after this) judges only the shortlist, with the version
    judged here; it starts with this round's panel when it has none, and gets its own assignment and
    sheets. Promoting again replaces the shortlist until the next round has assignments."""
    from aigc_contest.judging.shortlist import ShortlistError, ShortlistRule, select_by_category

    competition = round_.competition
    require(actor, "judging.manage_judging", competition)
    _not_after_publication(competition, now)
    if top is None and cutoff is None:
        top, cutoff = round_.promote_top, round_.promote_cutoff
    try:
        rule = ShortlistRule(top=top, cutoff=cutoff)
    except ShortlistError:
        raise ServiceError(_("Say how many entries of each category go on (at least 1), or the lowest score "
                             "that goes on (0 to 100), not both."), "rule") from None
    target_kind = kind or next_kind(round_)
    if target_kind is None:
        raise ServiceError(_("This is the final round: its results are the competition's."), "last_round")
    if target_kind not in Round.Kind.values or Round.KIND_ORDER[target_kind] <= Round.KIND_ORDER.get(round_.kind, 0):
        raise ServiceError(_("The shortlist goes to a later round than this one."), "order")
    if k is not None and not 1 <= k <= 20:
        raise ServiceError(_("Judges per entry must be between 1 and 20."))
    target = Round.objects.filter(competition=competition, kind=target_kind).first()
    if target is not None and target.source_id not in (None, round_.pk):
        raise ServiceError(_("The %(round)s round already judges another round's shortlist.")
                           % {"round": target.get_kind_display()}, "started")
    if target is not None and target.assignments.exists():
        raise ServiceError(_("The %(round)s round has started; its shortlist can no longer change.")
                           % {"round": target.get_kind_display()}, "started")
    used_method, standings = _round_standings(round_, method, accept_few_sheets)
    by_id = {str(entry.pk): (category, entry, version_id) for category, entry, version_id, _s, _r in standings}
    chosen = select_by_category(
        [(str(category.pk), str(entry.pk), score, rank) for category, entry, _v, score, rank in standings], rule)
    when = now or timezone.now()
    per_category: dict[str, int] = {}
    with transaction.atomic():
        close_round(actor, round_, when)
        if (round_.promote_top, round_.promote_cutoff) != (rule.top, rule.cutoff):
            round_.promote_top, round_.promote_cutoff = rule.top, rule.cutoff
            round_.save(update_fields=["promote_top", "promote_cutoff"])
        if target is None:
            target = Round.objects.create(competition=competition, kind=target_kind, source=round_,
                                          judges_per_entry=k or round_.judges_per_entry)
        else:
            target.source = round_
            target.judges_per_entry = k or target.judges_per_entry
            target.is_open, target.closed_at = True, None
            target.save(update_fields=["source", "judges_per_entry", "is_open", "closed_at"])
        ShortlistEntry.objects.filter(round=target).delete()
        Award.objects.filter(result__round=round_).delete()  # the results now come from the later round
        for candidates in chosen.values():
            for c in candidates:
                category, entry, version_id = by_id[c.entry]
                ShortlistEntry.objects.create(round=target, entry=entry, version_id=version_id, from_round=round_,
                                              score=float(c.score or 0.0), rank=c.rank, method=used_method,
                                              promoted_by=actor, promoted_at=when)
                per_category[category.slug] = per_category.get(category.slug, 0) + 1
        if not target.panel.exists():
            for member in round_.panel.prefetch_related("categories"):
                copy = PanelMembership.objects.create(round=target, judge_id=member.judge_id,
                                                      min_load=member.min_load, max_load=member.max_load)
                copy.categories.set(list(member.categories.all()))
        promoted = sum(per_category.values())
        record_change(actor, target, "shortlist promoted",
                      {"from": (None, round_.kind), "rule": (None, rule.describe()), "method": (None, used_method),
                       "entries": (None, promoted)}, competition=competition.pk)
    return PromotionReport(round=target, promoted=promoted, per_category=per_category, rule=rule.describe(),
                           method=used_method)


def set_promotion_plan(actor: User, round_: Round, *, top: int | None = None, cutoff: float | None = None) -> Round:
    """The shortlist planned for the round after this one: the top `top` of each category, or every entry
    scoring at least `cutoff`; neither: no plan (the promotion then names its rule)."""
    from aigc_contest.judging.shortlist import ShortlistError, ShortlistRule

    competition = round_.competition
    require(actor, "judging.manage_judging", competition)
    if top is not None or cutoff is not None:
        try:
            ShortlistRule(top=top, cutoff=cutoff)
        except ShortlistError:
            raise ServiceError(_("Say how many entries of each category go on (at least 1), or the lowest score "
                                 "that goes on (0 to 100), not both."), "rule") from None
    before = (round_.promote_top, round_.promote_cutoff)
    if before != (top, cutoff):
        round_.promote_top, round_.promote_cutoff = top, cutoff
        round_.save(update_fields=["promote_top", "promote_cutoff"])
        record_change(actor, round_, "promotion planned", {"top": (before[0], top), "cutoff": (before[1], cutoff)},
                      competition=competition.pk)
    return round_


# ---------------------------------------------------------------- due dates and reminders

MAX_REMIND_DAYS = 60


def set_due_date(actor: User, round_: Round, due_at: datetime | None, *, remind_days_before: int | None = None) -> Round:
    """When the round's score sheets are due (an instant; pages type and show it on the competition's clock),
    and how many days before it judges with sheets left are reminded (they are reminded on the day too)."""
    competition = round_.competition
    require(actor, "judging.manage_judging", competition)
    if due_at is not None and due_at.tzinfo is None:
        raise ServiceError(_("A due date names an instant: give its time zone."), "naive")
    days = round_.remind_days_before if remind_days_before is None else remind_days_before
    if not 0 <= days <= MAX_REMIND_DAYS:
        raise ServiceError(_("Reminders go between 0 and %(n)d days before the due date.") % {"n": MAX_REMIND_DAYS},
                           "days")
    before = round_.due_at
    round_.due_at, round_.remind_days_before = due_at, days
    round_.save(update_fields=["due_at", "remind_days_before"])
    if before != due_at:
        record_change(actor, round_, "due date moved", {"due_at": (before, due_at)}, competition=competition.pk)
    return round_


def due_from_typed(text: str, competition: Competition) -> datetime:
    """"2026-10-30 23:59" on the competition's clock → the instant (a time to the minute means its end)."""
    from datetime import date

    from aigc_contest.web.contests.timeline import Edge, TypedTimeError, instant_from_typed

    day_text, _space, clock = text.strip().partition(" ")
    try:
        day = date.fromisoformat(day_text)
        return instant_from_typed(day, clock.strip() or "23:59", competition.zone, Edge.END)
    except (ValueError, OverflowError, TypedTimeError) as exc:
        raise ServiceError(_("Type the due date as 2026-10-30 23:59, on the competition's clock (%(zone)s).")
                           % {"zone": competition.timezone}, "due_at") from exc


def send_judge_reminders(now: datetime | None = None) -> int:
    """E-mail each judge with sheets left in an open round with a due date: once from `remind_days_before`
    days before it (the first pass of the worker's watchdog in that window), and once on the due date (the
    competition's calendar day). Each reminder is sent once per
    round, judge, kind and due date (moving the due date sends them again). Returns the messages queued."""
    now = now or timezone.now()
    sent = 0
    rounds = Round.objects.filter(is_open=True, due_at__isnull=False, due_at__gte=now - timedelta(days=1)
                                  ).select_related("competition")
    for round_ in rounds:
        due_at = round_.due_at
        assert due_at is not None  # filtered above
        zone = round_.competition.zone
        due_day, today = due_at.astimezone(zone).date(), now.astimezone(zone).date()
        if today == due_day and now <= due_at:
            kind = JudgeReminder.Kind.DUE
        elif round_.remind_days_before and due_day - timedelta(days=round_.remind_days_before) <= today < due_day:
            kind = JudgeReminder.Kind.BEFORE
        else:
            continue
        left = (Assignment.objects.filter(round=round_, status=Assignment.Status.ASSIGNED)
                .values("judge").annotate(n=models_count("id")))
        for row in left:
            judge = User.objects.get(pk=row["judge"])
            try:
                with transaction.atomic():
                    JudgeReminder.objects.create(round=round_, judge=judge, kind=kind, due_at=due_at, sent_at=now)
                    job = emails.queue_judge_reminder(judge, round_,
                                                      judge, left=row["n"], on_the_day=kind == JudgeReminder.Kind.DUE)
            except IntegrityError:  # sent already (or by another worker at the same pass)
                continue
            sent += job is not None
    return sent


# ---------------------------------------------------------------- assignment


@dataclass
class AssignReport:
    created: int
    kept: int
    solver: str
    released: int = 0  # with reassign: unstarted solver picks let go before solving


def _eligible_entries(round_: Round) -> list[Entry]:
    """The entries a round judges: its shortlist when it was promoted from an earlier round, else every
    submitted entry of the competition that has a version."""
    entries = Entry.objects.filter(status=Entry.Status.SUBMITTED).select_related("team", "category")
    if round_.source_id:
        return list(entries.filter(pk__in=ShortlistEntry.objects.filter(round=round_).values("entry_id")))
    entries = entries.filter(category__competition=round_.competition).prefetch_related("versions")
    return [e for e in entries if e.versions.exists()]


def round_version(round_: Round, entry: Entry) -> EntryVersion | None:
    """The version a round judges: the one shortlisted (the version judged before) or the latest."""
    if round_.source_id:
        found = ShortlistEntry.objects.filter(round=round_, entry=entry).select_related("version").first()
        return found.version if found else None
    return entry.latest_version


@dataclass
class PanelProblem:
    """A round's assignment problem as the core solver sees it, with the database objects beside it.

    Ids are strings: entry primary keys and judge user primary keys. `forbids` holds the organisers'
    forbidden pairs and every abstention (an abstention is a conflict for that pairing)."""

    round: Round
    entries: dict[str, Entry]
    judges: dict[str, User]
    core_entries: dict[str, core.Entry]
    core_judges: dict[str, core.Judge]
    forbids: set[tuple[str, str]]

    def pair_problem(self, entry_id: str, judge_id: str) -> str | None:
        """Why the pair may not be made (in words), or None when it may."""
        entry, judge = self.core_entries.get(entry_id), self.core_judges.get(judge_id)
        if entry is None:
            return _("entry %(entry)s is not a submitted entry of this competition") % {"entry": entry_id}
        if judge is None:
            return _("the judge is not on this round's panel")
        if judge.categories is not None and entry.category not in judge.categories:
            return _("the judge does not judge this entry's category")
        if (entry_id, judge_id) in self.forbids:
            return _("this pairing is forbidden (by the organisers, or the judge abstained)")
        reason = core.conflict_reason(entry, judge)
        if reason is not None:
            return _("conflict of interest: %(why)s") % {"why": CONFLICT_WORDS.get(reason, reason)}
        return None


# The core names conflicts in English; pages show them in the reader's language.
CONFLICT_WORDS = {
    "same school": gettext_lazy("same school"),
    "judge is the entrant's teacher": gettext_lazy("the judge is the entrant's teacher"),
    "declared conflict": gettext_lazy("the judge declared a conflict"),
    "declared conflict with the entrant's school": gettext_lazy("the judge declared a conflict with the entrant's school"),
}


def _core_entry(e: Entry) -> core.Entry:
    return core.Entry(
        id=str(e.pk), category=str(e.category_id),
        school=str(e.team.school_id) if e.team.school_id else None,
        teacher_ids=frozenset({str(e.team.supervising_teacher_id)} if e.team.supervising_teacher_id else ()),
    )


def _core_judges(round_: Round) -> tuple[list[PanelMembership], dict[str, core.Judge]]:
    competition = round_.competition
    members = list(round_.panel.select_related("judge").prefetch_related("categories"))
    declared_entries: dict[int, set[str]] = defaultdict(set)
    declared_schools: dict[int, set[str]] = defaultdict(set)
    for d in ConflictDeclaration.objects.filter(competition=competition):
        if d.entry_id:
            declared_entries[d.judge_id].add(str(d.entry_id))
        if d.school_id:
            declared_schools[d.judge_id].add(str(d.school_id))
    core_judges = {
        str(m.judge_id): core.Judge(
            id=str(m.judge_id), max_load=m.max_load, min_load=m.min_load,
            school=str(m.judge.school_id) if m.judge.school_id else None,
            conflicts=frozenset(declared_entries[m.judge_id]),
            conflict_schools=frozenset(declared_schools[m.judge_id]),
            categories=frozenset(str(c.pk) for c in m.categories.all()) or None,
        )
        for m in members
    }
    return members, core_judges


def _round_forbids(round_: Round) -> set[tuple[str, str]]:
    forbids = {(str(e), str(j)) for e, j in ForbiddenPair.objects.filter(round=round_).values_list("entry_id", "judge_id")}
    forbids |= {(str(e), str(j)) for e, j in Assignment.objects.filter(
        round=round_, status=Assignment.Status.ABSTAINED).values_list("entry_id", "judge_id")}
    return forbids


def panel_problem(round_: Round) -> PanelProblem:
    entries = _eligible_entries(round_)
    members, core_judges = _core_judges(round_)
    core_entries = {str(e.pk): _core_entry(e) for e in entries}
    return PanelProblem(round_, {str(e.pk): e for e in entries}, {str(m.judge_id): m.judge for m in members},
                        core_entries, core_judges, _round_forbids(round_))


def opens_early(round_: Round, now: datetime | None = None) -> bool:
    """Assigning now would open the round's judging before the categories' submission deadline: entries
    may still change and more may come. Only the first assignment of a round opens it."""
    return (not round_.competition.submission_closed(now)
            and not Assignment.objects.filter(round=round_).exists())


def assign_judges(actor: User, round_: Round, *, seed: int = 0, reassign: bool = False, early: bool = False,
                  now: datetime | None = None) -> AssignReport:
    """Give every submitted entry k judges with the core solver.

    Before the submission deadline the first assignment of a round needs `early` (the organiser's
    explicit confirmation): judges would see entries that can still change.

    Work already assigned is kept (as pins), except with `reassign`, which first lets go of the solver's
    own picks that nobody has started (not pinned by hand, still to score, no draft scores).
    Conflicts: same school, the entrant's supervising teacher, every declared conflict (entry or school),
    the organisers' forbidden pairs, and abstentions (the entry gets another judge).
    """
    competition = round_.competition
    require(actor, "judging.manage_judging", competition)
    _not_after_publication(competition)
    if not early and opens_early(round_, now):
        raise ServiceError(
            _("Submissions are open until the deadline, so entries may still change. Confirm that judging "
              "opens before the deadline to assign judges now."), "before_deadline")
    problem = panel_problem(round_)
    if not problem.entries:
        raise ServiceError(_("There are no submitted entries to assign."), "nothing")
    if not problem.judges:
        raise ServiceError(_("Add judges to the panel first."), "no_judges")
    with transaction.atomic():
        released = 0
        if reassign:
            unstarted = Assignment.objects.filter(
                round=round_, status=Assignment.Status.ASSIGNED, pinned=False, scores__isnull=True
            )
            released = unstarted.count()
            unstarted.delete()
        existing = list(Assignment.objects.filter(round=round_).exclude(status=Assignment.Status.ABSTAINED))
        pins = [(str(a.entry_id), str(a.judge_id)) for a in existing
                if str(a.entry_id) in problem.entries and str(a.judge_id) in problem.judges]
        forbids = [pair for pair in problem.forbids if pair[0] in problem.entries and pair[1] in problem.judges]
        try:
            plan = core.assign(list(problem.core_entries.values()), list(problem.core_judges.values()),
                               round_.judges_per_entry, pins=pins, forbids=forbids, seed=seed)
        except core.InfeasibleAssignment as exc:  # leaving the block rolls the release back
            raise ServiceError(_("No assignment is possible: %(why)s") % {"why": "; ".join(exc.reasons)},
                               "infeasible") from exc
        except core.AssignmentInputError as exc:
            raise ServiceError(_("The panel cannot be assigned: %(why)s") % {"why": str(exc)}, "invalid") from exc
        have = set(pins)
        created = 0
        for entry_id, judge_id in plan.pairs:
            if (entry_id, judge_id) in have:
                continue
            entry = problem.entries[entry_id]
            version = round_version(round_, entry)
            assert version is not None  # _eligible_entries keeps only entries that have a version
            Assignment.objects.create(round=round_, judge_id=int(judge_id), entry=entry, version=version)
            created += 1
    return AssignReport(created=created, kept=len(pins), solver=plan.solver, released=released)


# ---------------------------------------------------------------- judges' work


def _check_judge(actor: User, assignment: Assignment) -> None:
    require(actor, "judging.score_assignment", assignment)
    if not assignment.round.is_open:
        raise ServiceError(_("This round is closed for scoring."), "closed")


def save_scores(actor: User, assignment: Assignment, values: Mapping[int, object],
                comments: Mapping[int, str] | None = None, *, comment: str = "", submit: bool = False) -> Assignment:
    """Store the judge's scores (criterion id → value); `submit` needs every criterion scored.

    A draft may leave criteria empty; a value out of range is refused either way, naming the criterion.
    """
    _check_judge(actor, assignment)
    if assignment.status == Assignment.Status.SUBMITTED:
        raise ServiceError(_("These scores were submitted already."), "submitted")
    if assignment.status == Assignment.Status.ABSTAINED:
        raise ServiceError(_("You abstained from this entry."), "abstained")
    comments = comments or {}
    criteria = list(Criterion.objects.filter(competition=assignment.round.competition))
    parsed: dict[int, Decimal | None] = {}
    for criterion in criteria:
        raw = values.get(criterion.pk)
        if raw is None or str(raw).strip() == "":
            parsed[criterion.pk] = None
            continue
        try:
            value = Decimal(str(raw).strip())
        except InvalidOperation:
            raise ServiceError(_("“%(criterion)s”: please enter a number.") % {"criterion": criterion.tr("name")}) from None
        if not value.is_finite() or not criterion.min_score <= value <= criterion.max_score:
            raise ServiceError(
                _("“%(criterion)s”: the score must be between %(low)s and %(high)s.")
                % {"criterion": criterion.tr("name"), "low": criterion.min_score, "high": criterion.max_score}
            )
        parsed[criterion.pk] = value.quantize(Decimal("0.01"))
    if submit:
        missing = [c.tr("name") for c in criteria if parsed[c.pk] is None]
        if missing:
            raise ServiceError(_("Score every criterion before submitting: %(missing)s") % {"missing": ", ".join(missing)},
                               "incomplete")
    with transaction.atomic():
        for criterion in criteria:
            stored = parsed[criterion.pk]
            note = str(comments.get(criterion.pk, "") or "")[:2000]
            if stored is None:
                Score.objects.filter(assignment=assignment, criterion=criterion).delete()
                continue
            Score.objects.update_or_create(assignment=assignment, criterion=criterion,
                                           defaults={"value": stored, "comment": note})
        assignment.comment = comment[:4000]
        if submit:
            assignment.status = Assignment.Status.SUBMITTED
            assignment.submitted_at = timezone.now()
        assignment.save(update_fields=["comment", "status", "submitted_at"])
    return assignment


def refill_entry(round_: Round, entry: Entry, now: datetime | None = None) -> int:
    """Give `entry` the judges it lacks in `round_` (after an abstention or a declared conflict), chosen
    by the core solver among the panel's eligible judges with the least work in this round. Returns the
    number of judges added; 0 when the round is closed, the results are out, or no judge may take it (the
    entry then shows as under-judged on the organisers' page until they add judges)."""
    competition = round_.competition
    if not round_.is_open or competition.results_published(now) or entry.status != Entry.Status.SUBMITTED:
        return 0
    version = round_version(round_, entry)
    if version is None:
        return 0
    entry = Entry.objects.select_related("team").get(pk=entry.pk)
    members, judges = _core_judges(round_)
    if not judges:
        return 0
    existing = list(Assignment.objects.filter(round=round_).exclude(status=Assignment.Status.ABSTAINED)
                    .values_list("entry_id", "judge_id"))
    loads: dict[str, int] = defaultdict(int)
    pins = []
    for entry_id, judge_id in existing:
        if str(judge_id) not in judges:
            continue
        if entry_id == entry.pk:
            pins.append((str(entry_id), str(judge_id)))
        else:
            loads[str(judge_id)] += 1
    if len(pins) >= round_.judges_per_entry:
        return 0
    forbids = [pair for pair in _round_forbids(round_) if pair[0] == str(entry.pk) and pair[1] in judges]
    try:
        plan = core.assign([_core_entry(entry)], list(judges.values()), round_.judges_per_entry, pins=pins,
                           forbids=forbids, loads=loads)
    except (core.InfeasibleAssignment, core.AssignmentInputError):
        return 0
    added = 0
    for _entry_id, picked in plan.pairs:
        if (str(entry.pk), picked) in pins:
            continue
        Assignment.objects.create(round=round_, judge_id=int(picked), entry=entry, version=version)
        added += 1
    return added


def abstain(actor: User, assignment: Assignment, reason: str = "") -> Assignment:
    """The judge steps back from one entry; another judge takes the sheet when one may."""
    _check_judge(actor, assignment)
    if assignment.status == Assignment.Status.SUBMITTED:
        raise ServiceError(_("These scores were submitted already."), "submitted")
    with transaction.atomic():
        assignment.scores.all().delete()
        assignment.status = Assignment.Status.ABSTAINED
        assignment.comment = reason[:4000]
        assignment.save(update_fields=["status", "comment"])
        record_change(actor, assignment, "judge abstained", {"entry": (None, assignment.entry_id)},
                      competition=assignment.round.competition_id)
        refill_entry(assignment.round, assignment.entry)
    return assignment


def declare_conflict(actor: User, assignment: Assignment, reason: str = "") -> ConflictDeclaration:
    """Record the conflict with its reason (the organisers read it) and remove the assignment (with any
    draft scores); another judge takes the sheet when one may, else the entry shows as under-judged."""
    require(actor, "judging.score_assignment", assignment)
    if assignment.status == Assignment.Status.SUBMITTED:
        raise ServiceError(_("These scores were submitted already; ask the organisers to withdraw them."), "submitted")
    reason = reason.strip()
    if not reason:
        raise ServiceError(_("Say why you cannot judge this entry: the organisers read the reason."), "reason")
    with transaction.atomic():
        declaration = ConflictDeclaration.objects.create(
            judge=actor, competition=assignment.round.competition, entry=assignment.entry,
            round=assignment.round, reason=reason[:300],
        )
        record_change(actor, declaration, "judge declared a conflict", {"entry": (None, assignment.entry_id)},
                      competition=assignment.round.competition_id)
        round_, entry = assignment.round, assignment.entry
        assignment.delete()
        refill_entry(round_, entry)
    return declaration


# ---------------------------------------------------------------- results


@dataclass
class PreviewRow:
    entry: Entry
    version_id: int
    score: float | None
    raw_score: float | None
    rank: int | None
    n_judges: int
    tiebreak: str
    criteria: dict[str, float | None]
    recorded_rank: int | None = None

    @property
    def rank_changes(self) -> bool:
        return self.recorded_rank is not None and self.recorded_rank != self.rank


@dataclass
class CategoryAnalysis:
    """How the judges of one category agree, and each judge's scores before and after the method's
    normalisation (the organisers' charts)."""

    category: Category
    icc: ICC
    alpha: float | None
    judges: list[JudgeAgreement]
    before: list[Distribution]
    after: list[Distribution]
    judge_names: dict[str, str]  # judge id -> user name

    @property
    def flagged(self) -> list[JudgeAgreement]:
        return [j for j in self.judges if j.flags and j.flags != ["too few sheets"]]


MIN_SHEETS_TO_NORMALISE = 5  # below this, a judge's own mean and spread (z-score, calibration) are guesswork
NORMALISING_METHODS = {"zscore", "calibrated", "calibrated-scale"}


@dataclass
class FewSheets:
    category: Category
    judge: str  # user name
    sheets: int


@dataclass
class Preview:
    method: str
    categories: list[tuple[Category, list[PreviewRow]]] = field(default_factory=list)
    chain: list[str] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    agreement: dict[str, dict[str, object]] = field(default_factory=dict)
    analyses: list[CategoryAnalysis] = field(default_factory=list)
    few_sheets: list[FewSheets] = field(default_factory=list)  # with a normalising method only

    def few_sheets_text(self) -> str:
        return ", ".join(f"{f.judge} ({f.category.tr('name')}: {f.sheets})" for f in self.few_sheets)


def _rubric(competition: Competition) -> tuple[core.Rubric, list[Criterion]]:
    criteria = list(Criterion.objects.filter(competition=competition))
    if not criteria:
        raise ServiceError(_("The competition has no rubric yet."), "no_rubric")
    rubric = core.parse_rubric({"criteria": [
        {"id": c.key, "weight": float(c.weight), "min": float(c.min_score), "max": float(c.max_score)} for c in criteria
    ]})
    return rubric, criteria


def preview_results(round_: Round, method: str) -> Preview:
    """Results under `method`, per category, computed by the core; nothing is recorded."""
    try:
        base, version = core.resolve_method(method)
    except ValueError as exc:
        raise ServiceError(str(exc), "method") from exc
    competition = round_.competition
    rubric, _criteria = _rubric(competition)
    rows_by_category: dict[int, list[tuple[str, str, str, float]]] = defaultdict(list)
    scores = Score.objects.filter(assignment__round=round_, assignment__status=Assignment.Status.SUBMITTED).values_list(
        "assignment__entry__category_id", "assignment__entry_id", "assignment__judge_id", "criterion__key", "value"
    )
    for category_id, entry_id, judge_id, key, value in scores:
        rows_by_category[category_id].append((str(entry_id), str(judge_id), key, float(value)))
    recorded = dict(Result.objects.filter(round=round_).values_list("entry_id", "rank"))
    preview = Preview(method=f"{base}@{version}")
    entries = {e.pk: e for e in Entry.objects.filter(category__competition=competition).select_related("team", "category")}
    versions = dict(Assignment.objects.filter(round=round_).values_list("entry_id", "version_id"))
    for category in competition.categories.all():
        rows = rows_by_category.get(category.pk)
        if not rows:
            continue
        try:
            sheets = core.sheets_from_rows(rows, rubric)
            results = core.evaluate(
                sheets, preview.method,
                submitted_at={str(e): entries[int(e)].versions.get(pk=versions[int(e)]).submitted_at
                              for e in sheets.entry_ids},
            )
        except core.ScoreDefects as exc:
            preview.defects.extend(f"{category.tr('name')}: {d}" for d in exc.defects)
            continue
        raw_means: dict[str, float] = {}
        totals = sheets.total
        for index, sheet_entry_id in enumerate(sheets.entry_ids):
            mask = sheets.entry == index
            raw_means[sheet_entry_id] = float(totals[mask].mean()) if mask.any() else float("nan")
        out = [
            PreviewRow(entry=entries[int(r.entry)], version_id=versions[int(r.entry)], score=r.score,
                       raw_score=raw_means.get(r.entry), rank=r.rank, n_judges=r.n_judges, tiebreak=r.tiebreak,
                       criteria=r.criteria, recorded_rank=recorded.get(int(r.entry)))
            for r in results.rows
        ]
        preview.categories.append((category, out))
        preview.chain = results.ranking.chain
        summary = results.agreement_summary()
        preview.agreement[category.slug] = {"icc": summary["icc"], "alpha": summary["krippendorff_alpha_interval"],
                                            "flagged": summary["flagged_judges"]}
        analysis = CategoryAnalysis(
            category=category, icc=results.icc, alpha=results.alpha_interval, judges=results.judges,
            before=results.distributions_before, after=results.distributions_after,
            judge_names={str(pk): name for pk, name in User.objects.filter(
                pk__in=[int(j) for j in sheets.judge_ids]).values_list("pk", "username")},
        )
        preview.analyses.append(analysis)
        if base in NORMALISING_METHODS:
            per_judge = np.bincount(sheets.judge, minlength=len(sheets.judge_ids))
            preview.few_sheets.extend(
                FewSheets(category, analysis.judge_names.get(judge_id, judge_id), int(n))
                for judge_id, n in zip(sheets.judge_ids, per_judge.tolist(), strict=True)
                if n < MIN_SHEETS_TO_NORMALISE
            )
    return preview


def confirm_results(actor: User, round_: Round, method: str, now: datetime | None = None, *,
                    accept_few_sheets: bool = False) -> int:
    """Record the results under `method` (replacing this round's earlier ones and their awards).

    A normalising method (z-score, calibration) with a judge who has fewer than MIN_SHEETS_TO_NORMALISE
    sheets in a category is refused unless the organiser confirms it (`accept_few_sheets`)."""
    competition = round_.competition
    require(actor, "judging.manage_judging", competition)
    _not_after_publication(competition, now)
    preview = preview_results(round_, method)
    if preview.defects:
        raise ServiceError(_("Some scores are incomplete: %(defects)s") % {"defects": "; ".join(preview.defects[:5])},
                           "defects")
    if not preview.categories:
        raise ServiceError(_("No submitted scores yet."), "empty")
    if preview.few_sheets and not accept_few_sheets:
        raise ServiceError(
            _("%(method)s rescales each judge by their own scores, and these judges have fewer than %(n)d score "
              "sheets: %(judges)s. Confirm that you accept this, or choose another method.")
            % {"method": preview.method, "n": MIN_SHEETS_TO_NORMALISE, "judges": preview.few_sheets_text()},
            "few_sheets")
    confirmed_at = now or timezone.now()
    count = 0
    with transaction.atomic():
        Award.objects.filter(result__round=round_).delete()
        Result.objects.filter(round=round_).delete()
        for category, rows in preview.categories:
            for row in rows:
                if row.score is None:
                    continue
                Result.objects.create(
                    round=round_, entry=row.entry, version_id=row.version_id, category=category,
                    method=preview.method, raw_score=row.raw_score or 0.0, score=row.score, rank=row.rank,
                    n_judges=row.n_judges, tiebreak={"separated_by": row.tiebreak, "chain": preview.chain},
                    criteria=row.criteria, confirmed_by=actor, confirmed_at=confirmed_at,
                )
                count += 1
        record_change(actor, round_, "results confirmed", {"method": (None, preview.method), "results": (None, count)},
                      competition=competition)
    return count


# ---------------------------------------------------------------- awards


def set_award_places(actor: User, category: Category, places: Mapping[str, int]) -> None:
    require(actor, "judging.manage_judging", category.competition)
    _not_after_publication(category.competition)
    for kind, n in places.items():
        if kind not in AwardKind.values or not 0 <= int(n) <= 100:
            raise ServiceError(_("Award places must be between 0 and 100."))
        AwardRule.objects.update_or_create(category=category, kind=kind, defaults={"places": int(n)})


def award_places(category: Category) -> dict[str, int]:
    places = {str(k): n for k, n in DEFAULT_AWARD_PLACES.items()}
    places.update({r.kind: r.places for r in category.award_rules.all()})
    return places


def give_awards(actor: User, round_: Round) -> int:
    """Awards from the confirmed ranks: rank r takes the r-th place slot, so tied entries share a kind."""
    competition = round_.competition
    require(actor, "judging.manage_judging", competition)
    _not_after_publication(competition)
    if round_.next_rounds.exists():
        raise ServiceError(_("This round's shortlist went on to the next round: awards come from that round's "
                             "results."), "promoted")
    count = 0
    with transaction.atomic():
        Award.objects.filter(category__competition=competition).delete()
        for category in competition.categories.all():
            places = award_places(category)
            slots = [kind for kind in AWARD_ORDER for _ in range(places.get(str(kind), 0))]
            for result in Result.objects.filter(round=round_, category=category, rank__isnull=False).order_by("rank"):
                rank = result.rank
                assert rank is not None  # filtered on rank__isnull=False
                if rank > len(slots):
                    break
                Award.objects.create(category=category, entry=result.entry, result=result, kind=slots[rank - 1])
                count += 1
    return count


# ---------------------------------------------------------------- the results e-mail

RESULTS_EMAIL_WINDOW = timedelta(days=14)  # an announcement older than this is not e-mailed late


def queue_due_results_emails(now: datetime | None = None) -> int:
    """Queue the results e-mail of every competition whose announcement instant has passed (once each).

    The jobs have no not-before time, so the message is not queued when the organiser confirms (that is
    always before the announcement): the worker's watchdog calls this on every pass, and the first pass
    after the instant queues one e-mail per team. Returns the number of messages queued."""
    now = now or timezone.now()
    due = (
        Competition.objects.filter(results_at__lte=now, results_at__gte=now - RESULTS_EMAIL_WINDOW,
                                   rounds__results__isnull=False)
        .exclude(pk__in=ResultsNotice.objects.values("competition_id"))
        .distinct()
    )
    queued = 0
    for competition in due:
        if selectors.embargo_lifted(competition, now):
            queued += queue_results_email(competition, now)
    return queued


def queue_results_email(competition: Competition, now: datetime | None = None) -> int:
    """One competition's results e-mail: each team with a published result hears its entries' ranks and
    awards (members and teacher). Read through the embargo gate: before the announcement nothing is queued.
    A second call (or a second worker at the same instant) queues nothing."""
    now = now or timezone.now()
    results = list(
        selectors.published_results(competition, now)
        .select_related("entry__team__supervising_teacher", "confirmed_by")
        .prefetch_related("entry__team__members")
        .order_by("entry__team_id", "category_id", "entry_id")
    )
    if not results:
        return 0
    awards = {a.entry_id: a for a in selectors.published_awards(competition, now)}
    teams: dict[int, list[Result]] = defaultdict(list)
    for result in results:
        teams[result.entry.team_id].append(result)
    try:
        with transaction.atomic():
            notice = ResultsNotice.objects.create(competition=competition, round=results[0].round, queued_at=now)
            sent = 0
            for rows in teams.values():
                team = rows[0].entry.team
                lines = [{"title": r.entry.title, "rank": r.rank,
                          "award": AwardKind(awards[r.entry_id].kind).label if r.entry_id in awards else ""}
                         for r in rows]
                job = emails.queue_results_published(rows[0].confirmed_by, competition,
                                                     [*team.members.all(), team.supervising_teacher], lines)
                sent += job is not None
            notice.messages = sent
            notice.save(update_fields=["messages"])
    except IntegrityError:  # another worker queued them first
        return 0
    return sent
