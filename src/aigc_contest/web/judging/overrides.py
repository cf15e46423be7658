"""Writes for the organisers' manual control of an assignment: pin or forbid one judge–entry pair, and
replace a round's assignment with an edited spreadsheet (CSV).

Every write re-checks the rules the solver keeps (panel, category, conflicts of interest, forbidden
pairs, each judge's most entries, k judges per entry), so a hand edit can never make an assignment the
solver would refuse. The CSV is read by the core (`aigc_contest.judging.csv_assignments`, header
`entry,judge,pinned`; `entry` is the entry number, `judge` the judge's user name) and applied all or
nothing: one bad row and the round stays as it was, with every problem reported by line.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from aigc_contest.judging.csv_assignments import parse_assignment_csv
from aigc_contest.judging.scores import ScoreDefects
from aigc_contest.web.accounts.models import User
from aigc_contest.web.core.errors import ServiceError, require
from aigc_contest.web.entries.models import Entry
from aigc_contest.web.judging.models import Assignment, ForbiddenPair, Round
from aigc_contest.web.judging.services import _not_after_publication, panel_problem, round_version

MAX_CSV_BYTES = 2 * 1024 * 1024
MAX_REPORTED = 200  # problems listed at most; a spreadsheet with thousands of bad rows needs no more


def _check(actor: User, round_: Round) -> None:
    require(actor, "judging.manage_judging", round_.competition)
    _not_after_publication(round_.competition)


def _active(round_: Round):  # type: ignore[no-untyped-def]
    return Assignment.objects.filter(round=round_).exclude(status=Assignment.Status.ABSTAINED)


# ---------------------------------------------------------------- one pair


def pin_pair(actor: User, round_: Round, entry: Entry, judge: User) -> Assignment:
    """Assign `judge` to `entry` by hand; the pair is kept whenever judges are (re-)assigned."""
    _check(actor, round_)
    problem = panel_problem(round_)
    entry_id, judge_id = str(entry.pk), str(judge.pk)
    why = problem.pair_problem(entry_id, judge_id)
    if why:
        raise ServiceError(_("This pairing is not allowed: %(why)s.") % {"why": why}, "not_allowed")
    existing = Assignment.objects.filter(round=round_, entry=entry, judge=judge).first()
    if existing is not None:
        existing.pinned = True
        existing.save(update_fields=["pinned"])
        return existing
    active = _active(round_)
    if active.filter(entry=entry).count() >= round_.judges_per_entry:
        raise ServiceError(_("This entry has %(k)d judges already; forbid one of them first.")
                           % {"k": round_.judges_per_entry}, "entry_full")
    most = problem.core_judges[judge_id].max_load
    if active.filter(judge=judge).count() >= most:
        raise ServiceError(_("%(name)s has %(n)d entries already, the most allowed.") % {"name": judge, "n": most},
                           "judge_full")
    version = round_version(round_, problem.entries[entry_id])
    assert version is not None  # panel_problem keeps only entries that have a submitted version
    return Assignment.objects.create(round=round_, entry=entry, judge=judge, version=version, pinned=True)


def unpin_pair(actor: User, round_: Round, entry: Entry, judge: User) -> None:
    """The pair stays assigned, but re-assigning may now give the entry to another judge."""
    _check(actor, round_)
    Assignment.objects.filter(round=round_, entry=entry, judge=judge).update(pinned=False)


def forbid_pair(actor: User, round_: Round, entry: Entry, judge: User) -> ForbiddenPair:
    """`judge` must not judge `entry` in this round: an unsubmitted assignment of the pair is removed
    (with any draft scores) and the solver never makes the pair again."""
    _check(actor, round_)
    if entry.category.competition_id != round_.competition_id:
        raise ServiceError(_("That entry is not in this competition."), "unknown")
    existing = Assignment.objects.filter(round=round_, entry=entry, judge=judge).first()
    if existing is not None and existing.status == Assignment.Status.SUBMITTED:
        raise ServiceError(_("This judge has submitted scores for this entry already."), "submitted")
    with transaction.atomic():
        if existing is not None and existing.status == Assignment.Status.ASSIGNED:
            existing.delete()
        forbidden, _created = ForbiddenPair.objects.get_or_create(round=round_, entry=entry, judge=judge,
                                                                  defaults={"set_by": actor})
    return forbidden


def unforbid_pair(actor: User, round_: Round, entry: Entry, judge: User) -> None:
    _check(actor, round_)
    ForbiddenPair.objects.filter(round=round_, entry=entry, judge=judge).delete()


# ---------------------------------------------------------------- the whole round, as CSV


@dataclass
class RowProblem:
    message: str
    line: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return _("Line %(line)d: %(problem)s") % {"line": self.line, "problem": self.message}


class AssignmentCsvRejected(ServiceError):
    """The CSV was not applied; `problems` lists every reason, with line numbers where a row is to blame."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(_("The file was not applied (%(n)d problems); nothing has changed.") % {"n": len(problems)},
                         "csv_rejected")
        self.problems = problems[:MAX_REPORTED]


@dataclass
class ImportReport:
    created: int = 0
    removed: int = 0
    kept: int = 0
    pinned: int = 0
    warnings: list[str] = field(default_factory=list)


def _row_lines(text: str) -> list[int]:
    """The line of each data row the core parser keeps, in order (the core reports lines only for defects)."""
    reader = csv.reader(io.StringIO(text))
    next(reader, None)
    lines: list[int] = []
    previous_end = reader.line_num
    for record in reader:
        line, previous_end = previous_end + 1, reader.line_num
        if any(f.strip() for f in record):
            lines.append(line)
    return lines


def _decode(data: bytes) -> str:
    if len(data) > MAX_CSV_BYTES:
        raise AssignmentCsvRejected([RowProblem(_("The file is larger than 2 MB."))])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AssignmentCsvRejected([RowProblem(_("The file is not UTF-8 text; save it as “CSV UTF-8”."))]) from None


def import_assignments(actor: User, round_: Round, data: bytes) -> ImportReport:
    """Make the round's assignment exactly the file's pairs (abstentions are kept as they are).

    Refused as a whole, with every problem listed, when a row is malformed, names an unknown entry or a
    judge off the panel, breaks a conflict rule or a forbidden pair, when a judge would get more entries
    than allowed or an entry more than k judges, or when a pair whose scores were submitted is missing.
    An entry left with fewer than k judges, or a judge below the fewest entries, is only a warning:
    "Assign judges" fills the gaps and keeps every imported pair."""
    _check(actor, round_)
    text = _decode(data)
    try:
        parsed = parse_assignment_csv(text)
    except ScoreDefects as exc:
        raise AssignmentCsvRejected([RowProblem(d.message, d.line) for d in exc.defects]) from None
    problem = panel_problem(round_)
    by_username = {user.username: judge_id for judge_id, user in problem.judges.items()}
    problems: list[RowProblem] = []
    pairs: list[tuple[str, str, int]] = []  # (entry id, judge id, line)
    for (entry_text, username), line in zip(parsed.pairs, _row_lines(text), strict=True):
        judge_id = by_username.get(username)
        if not entry_text.isdigit() or entry_text not in problem.entries:
            problems.append(RowProblem(_("“%(entry)s” is not the number of a submitted entry in this competition.")
                                       % {"entry": entry_text}, line))
        elif judge_id is None:
            problems.append(RowProblem(_("“%(judge)s” is not on this round's panel.") % {"judge": username}, line))
        elif why := problem.pair_problem(entry_text, judge_id):
            problems.append(RowProblem(why, line))
        else:
            pairs.append((entry_text, judge_id, line))
    wanted = {(e, j) for e, j, _line in pairs}
    pinned = {(e, by_username[j]) for e, j in parsed.pinned if j in by_username}
    per_entry = Counter(e for e, _j, _line in pairs)
    per_judge = Counter(j for _e, j, _line in pairs)
    k = round_.judges_per_entry
    for entry_id, n in sorted(per_entry.items()):
        if n > k:
            problems.append(RowProblem(_("Entry %(entry)s has %(n)d judges; a round of this kind takes %(k)d.")
                                       % {"entry": entry_id, "n": n, "k": k}))
    for judge_id, n in sorted(per_judge.items()):
        most = problem.core_judges[judge_id].max_load
        if n > most:
            problems.append(RowProblem(_("%(judge)s has %(n)d entries; the most allowed is %(most)d.")
                                       % {"judge": problem.judges[judge_id].username, "n": n, "most": most}))
    existing = {(str(a.entry_id), str(a.judge_id)): a for a in _active(round_).select_related("judge")}
    for (entry_id, judge_id), assignment in sorted(existing.items()):
        if assignment.status == Assignment.Status.SUBMITTED and (entry_id, judge_id) not in wanted:
            problems.append(RowProblem(_("%(judge)s has submitted scores for entry %(entry)s; keep that row.")
                                       % {"judge": assignment.judge.username, "entry": entry_id}))
    if problems:
        raise AssignmentCsvRejected(problems)

    report = ImportReport()
    with transaction.atomic():
        for pair, assignment in existing.items():
            if pair not in wanted:
                assignment.delete()
                report.removed += 1
            elif assignment.pinned != (pair in pinned):
                assignment.pinned = pair in pinned
                assignment.save(update_fields=["pinned"])
        for entry_id, judge_id, _line in pairs:
            if (entry_id, judge_id) in existing:
                report.kept += 1
                continue
            entry = problem.entries[entry_id]
            version = round_version(round_, entry)
            assert version is not None  # panel_problem keeps only entries that have a submitted version
            Assignment.objects.create(round=round_, entry=entry, judge_id=int(judge_id), version=version,
                                      pinned=(entry_id, judge_id) in pinned)
            report.created += 1
    report.pinned = len(pinned & wanted)
    short = sorted(e for e in problem.entries if per_entry.get(e, 0) < k)
    if short:
        report.warnings.append(_("%(n)d entries have fewer than %(k)d judges (e.g. %(examples)s); "
                                 "“Assign judges” fills the gaps.")
                               % {"n": len(short), "k": k, "examples": ", ".join(short[:5])})
    low = sorted(problem.judges[j].username for j, judge in problem.core_judges.items()
                 if per_judge.get(j, 0) < judge.min_load)
    if low:
        report.warnings.append(_("Below their fewest entries: %(judges)s.") % {"judges": ", ".join(low)})
    return report
