"""Organiser JSON routes for judging, mounted on the site's /api/v1/ object: rounds, the panel, assignment,
results (computed, then confirmed) and awards. Each route asks `judging.manage_judging` on the competition
and calls the judging services; a refusal that depends on the state of things (results announced, no
entries yet, submissions still open) is a 409.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Body, Router, Schema, Status

from aigc_contest.web.accounts.models import User
from aigc_contest.web.contests.api import competition_for
from aigc_contest.web.core.api_schema import ORGANISER_READ_ERRORS, WRITE_ERRORS, ApiError, service_refusal
from aigc_contest.web.core.errors import ServiceError
from aigc_contest.web.judging import services
from aigc_contest.web.judging.models import Round

router = Router(tags=["organiser: judging"])

MANAGE = "judging.manage_judging"
# Service codes that mean "not now" rather than "not like that".
CONFLICTS = {"published", "before_deadline", "nothing", "no_judges", "infeasible", "defects", "empty",
             "few_sheets", "no_rubric", "started", "last_round", "promoted"}  # fmt: skip


class RoundIn(Schema):
    kind: str = Round.Kind.SCORING
    judges_per_entry: int = 3


class RoundOut(Schema):
    kind: str
    judges_per_entry: int
    is_open: bool
    judges: list[str]
    source: str | None = None  # the round whose shortlist this one judges
    shortlisted: int = 0
    due_at: str | None = None  # on the competition's clock, as typed ("2031-11-05 23:59")
    timezone: str = ""
    remind_days_before: int = 2
    promote_top: int | None = None  # the shortlist planned for the next round: the top N of each category …
    promote_cutoff: float | None = None  # … or every entry scoring at least this


class PlanIn(Schema):
    top: int | None = None
    cutoff: float | None = None  # both null: no plan


class PromoteIn(Schema):
    top: int | None = None  # the best N of each category (ties with the N-th go on too) …
    cutoff: float | None = None  # … or every entry scoring at least this (0–100); neither: the round's plan
    method: str = "mean"  # used when the round has no confirmed results
    next_kind: str | None = None  # by default the round after this one
    judges_per_entry: int | None = None
    accept_few_sheets: bool = False


class ShortlistOut(Schema):
    category: str
    entry: int
    title: str
    rank: int | None
    score: float
    method: str


class PromotionOut(Schema):
    round: RoundOut
    promoted: int
    per_category: dict[str, int]
    rule: str
    method: str


class DueDateIn(Schema):
    due_at: str | None = None  # "2031-11-05 23:59" on the competition's clock; null: no due date
    remind_days_before: int | None = None


class JudgeIn(Schema):
    username: str
    min_load: int = 0
    max_load: int = 20
    categories: list[str] = []


class AssignIn(Schema):
    seed: int = 0
    reassign: bool = False
    early: bool = False  # confirm assigning before the submission deadline


class AssignOut(Schema):
    created: int
    kept: int
    released: int
    solver: str


class ResultRowOut(Schema):
    category: str
    entry: int
    title: str
    rank: int | None
    score: float | None
    n_judges: int


class PreviewOut(Schema):
    method: str
    defects: list[str]
    few_sheets: list[str]
    results: list[ResultRowOut]


class ConfirmIn(Schema):
    method: str
    accept_few_sheets: bool = False


class CountOut(Schema):
    count: int


def _round_out(round_: Round) -> RoundOut:
    from aigc_contest.web.contests.timeline import Edge, typed_clock

    competition = round_.competition
    due = " ".join(typed_clock(round_.due_at, competition.zone, Edge.END)) if round_.due_at else None
    return RoundOut(
        kind=round_.kind,
        judges_per_entry=round_.judges_per_entry,
        is_open=round_.is_open,
        judges=[m.judge.username for m in round_.panel.select_related("judge")],
        source=round_.source.kind if round_.source_id and round_.source else None,
        shortlisted=round_.shortlist.count(),
        due_at=due,
        timezone=competition.timezone,
        remind_days_before=round_.remind_days_before,
        promote_top=round_.promote_top,
        promote_cutoff=round_.promote_cutoff,
    )


def _round(request: HttpRequest, slug: str, kind: str) -> Round:
    competition = competition_for(request, slug, MANAGE)
    return get_object_or_404(Round.objects.select_related("competition"), competition=competition, kind=kind)


@router.get("/competitions/{slug}/rounds", response={200: list[RoundOut], **ORGANISER_READ_ERRORS})
def list_rounds(request: HttpRequest, slug: str) -> list[RoundOut]:
    competition = competition_for(request, slug, MANAGE)
    return [_round_out(r) for r in competition.rounds.all()]


@router.post("/competitions/{slug}/rounds", response={201: RoundOut, **WRITE_ERRORS})
def open_round(request: HttpRequest, slug: str, payload: RoundIn):  # type: ignore[no-untyped-def]
    """Open a round (or change its judges per entry)."""
    competition = competition_for(request, slug, MANAGE)
    try:
        round_ = services.open_round(request.user, competition, payload.kind, k=payload.judges_per_entry)  # type: ignore[arg-type]
    except ServiceError as exc:
        raise service_refusal(exc, CONFLICTS) from exc
    return Status(201, _round_out(round_))


@router.post("/competitions/{slug}/rounds/{kind}/judges", response={201: RoundOut, **WRITE_ERRORS})
def add_judge(request: HttpRequest, slug: str, kind: str, payload: JudgeIn):  # type: ignore[no-untyped-def]
    """Put a judge on the round's panel (they become a judge of the competition)."""
    round_ = _round(request, slug, kind)
    judge = User.objects.filter(username=payload.username, is_active=True).first()
    if judge is None:
        raise ApiError(422, {"username": ["No such account."]})
    categories = list(round_.competition.categories.filter(slug__in=payload.categories))
    unknown = set(payload.categories) - {c.slug for c in categories}
    if unknown:
        raise ApiError(422, {"categories": [f"Unknown categories: {', '.join(sorted(unknown))}"]})
    try:
        services.add_judge(
            request.user,  # type: ignore[arg-type]
            round_,
            judge,
            min_load=payload.min_load,
            max_load=payload.max_load,
            categories=categories,
        )
    except ServiceError as exc:
        raise service_refusal(exc, CONFLICTS) from exc
    return Status(201, _round_out(round_))


@router.post("/competitions/{slug}/rounds/{kind}/assignment", response={200: AssignOut, **WRITE_ERRORS})
def assign(request: HttpRequest, slug: str, kind: str, payload: AssignIn) -> AssignOut:
    """Give every submitted entry its judges (the solver; work already assigned is kept)."""
    round_ = _round(request, slug, kind)
    try:
        report = services.assign_judges(
            request.user,  # type: ignore[arg-type]
            round_,
            seed=payload.seed,
            reassign=payload.reassign,
            early=payload.early,
        )
    except ServiceError as exc:
        raise service_refusal(exc, CONFLICTS) from exc
    return AssignOut(created=report.created, kept=report.kept, released=report.released, solver=report.solver)


@router.get("/competitions/{slug}/rounds/{kind}/results/preview", response={200: PreviewOut, **WRITE_ERRORS})
def compute_results(request: HttpRequest, slug: str, kind: str, method: str = "mean") -> PreviewOut:
    """Results computed under `method` from the submitted scores; nothing is recorded."""
    round_ = _round(request, slug, kind)
    try:
        preview = services.preview_results(round_, method)
    except ServiceError as exc:
        raise service_refusal(exc, CONFLICTS) from exc
    return PreviewOut(
        method=preview.method, defects=preview.defects,
        few_sheets=[f"{f.judge} ({f.category.slug}: {f.sheets})" for f in preview.few_sheets],
        results=[ResultRowOut(category=category.slug, entry=row.entry.pk, title=row.entry.title, rank=row.rank,
                              score=row.score, n_judges=row.n_judges)
                 for category, rows in preview.categories for row in rows],
    )  # fmt: skip


@router.post("/competitions/{slug}/rounds/{kind}/results", response={200: CountOut, **WRITE_ERRORS})
def confirm_results(request: HttpRequest, slug: str, kind: str, payload: ConfirmIn) -> CountOut:
    """Record the results under `method` (replacing the round's earlier ones); 409 once announced."""
    round_ = _round(request, slug, kind)
    try:
        count = services.confirm_results(
            request.user,  # type: ignore[arg-type]
            round_,
            payload.method,
            accept_few_sheets=payload.accept_few_sheets,
        )
    except ServiceError as exc:
        raise service_refusal(exc, CONFLICTS) from exc
    return CountOut(count=count)


@router.put(
    "/competitions/{slug}/categories/{category}/award-places", response={200: dict[str, int], **WRITE_ERRORS}
)
def put_award_places(
    request: HttpRequest,
    slug: str,
    category: str,
    places: Body[dict[str, int]],
) -> dict[str, int]:
    """How many places of each award kind the category gives ({"first": 1, "merit": 5, …})."""
    competition = competition_for(request, slug, MANAGE)
    found = get_object_or_404(competition.categories.all(), slug=category)
    try:
        services.set_award_places(request.user, found, places)  # type: ignore[arg-type]
    except ServiceError as exc:
        raise service_refusal(exc, CONFLICTS) from exc
    return services.award_places(found)


@router.post("/competitions/{slug}/rounds/{kind}/awards", response={200: CountOut, **WRITE_ERRORS})
def give_awards(request: HttpRequest, slug: str, kind: str) -> CountOut:
    """Awards from the round's confirmed ranks; 409 once the results are announced."""
    round_ = _round(request, slug, kind)
    try:
        count = services.give_awards(request.user, round_)  # type: ignore[arg-type]
    except ServiceError as exc:
        raise service_refusal(exc, CONFLICTS) from exc
    return CountOut(count=count)


@router.post("/competitions/{slug}/rounds/{kind}/close", response={200: RoundOut, **WRITE_ERRORS})
def close_round(request: HttpRequest, slug: str, kind: str) -> RoundOut:
    """No more scoring in the round (its scores stay for the organisers)."""
    round_ = _round(request, slug, kind)
    services.close_round(request.user, round_)  # type: ignore[arg-type]
    return _round_out(round_)


@router.post("/competitions/{slug}/rounds/{kind}/reopen", response={200: RoundOut, **WRITE_ERRORS})
def reopen_round(request: HttpRequest, slug: str, kind: str) -> RoundOut:
    """Scoring again; 409 once the next round has started with this round's shortlist or results are out."""
    round_ = _round(request, slug, kind)
    try:
        services.reopen_round(request.user, round_)  # type: ignore[arg-type]
    except ServiceError as exc:
        raise service_refusal(exc, CONFLICTS) from exc
    return _round_out(round_)


@router.post("/competitions/{slug}/rounds/{kind}/promote", response={201: PromotionOut, **WRITE_ERRORS})
def promote(request: HttpRequest, slug: str, kind: str, payload: PromoteIn):  # type: ignore[no-untyped-def]
    """Close the round and send each category's top N (or those over a cut-off) to the next round, which
    judges only them; 409 when the next round has started, this is the final round, or scores are missing."""
    round_ = _round(request, slug, kind)
    try:
        report = services.promote_shortlist(
            request.user,  # type: ignore[arg-type]
            round_,
            top=payload.top,
            cutoff=payload.cutoff,
            method=payload.method,
            kind=payload.next_kind,
            k=payload.judges_per_entry,
            accept_few_sheets=payload.accept_few_sheets,
        )
    except ServiceError as exc:
        raise service_refusal(exc, CONFLICTS) from exc
    return Status(201, PromotionOut(round=_round_out(report.round), promoted=report.promoted,
                                    per_category=report.per_category, rule=report.rule, method=report.method))


@router.get("/competitions/{slug}/rounds/{kind}/shortlist", response={200: list[ShortlistOut], **ORGANISER_READ_ERRORS})
def shortlist(request: HttpRequest, slug: str, kind: str) -> list[ShortlistOut]:
    """The entries promoted into the round, with the rank and score they had in the round before."""
    from aigc_contest.web.judging import selectors

    round_ = _round(request, slug, kind)
    return [ShortlistOut(category=s.entry.category.slug, entry=s.entry_id, title=s.entry.title, rank=s.rank,
                         score=s.score, method=s.method) for s in selectors.shortlist(round_)]


@router.put("/competitions/{slug}/rounds/{kind}/due-date", response={200: RoundOut, **WRITE_ERRORS})
def put_due_date(request: HttpRequest, slug: str, kind: str, payload: DueDateIn) -> RoundOut:
    """When the round's score sheets are due, typed on the competition's clock ("2031-11-05 23:59"), and how
    many days before it judges with sheets left are reminded (they are reminded on the day too)."""
    round_ = _round(request, slug, kind)
    try:
        due = services.due_from_typed(payload.due_at, round_.competition) if payload.due_at else None
        services.set_due_date(request.user, round_, due,  # type: ignore[arg-type]
                              remind_days_before=payload.remind_days_before)
    except ServiceError as exc:
        raise service_refusal(exc, CONFLICTS) from exc
    return _round_out(round_)


@router.put("/competitions/{slug}/rounds/{kind}/promotion-plan", response={200: RoundOut, **WRITE_ERRORS})
def put_promotion_plan(request: HttpRequest, slug: str, kind: str, payload: PlanIn) -> RoundOut:
    """The shortlist planned for the round after this one (the top N of each category, or every entry over
    a cut-off); promoting without a rule uses it. Both null: no plan."""
    round_ = _round(request, slug, kind)
    try:
        services.set_promotion_plan(request.user, round_, top=payload.top, cutoff=payload.cutoff)  # type: ignore[arg-type]
    except ServiceError as exc:
        raise service_refusal(exc, CONFLICTS) from exc
    return _round_out(round_)
