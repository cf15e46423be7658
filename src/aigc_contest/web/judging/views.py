"""Judging pages: judges score blind; organisers assign, follow progress, confirm results and awards;
everyone sees the winners once the embargo lifts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.clickjacking import xframe_options_sameorigin

from aigc_contest.web.accounts.http import AuthenticatedHttpRequest
from aigc_contest.web.accounts.models import User
from aigc_contest.web.contests import selectors as contest_selectors
from aigc_contest.web.contests.models import Competition, Criterion
from aigc_contest.web.core.errors import ServiceError, require
from aigc_contest.web.core.http import harden_work_response, stored_file_response
from aigc_contest.web.core.spreadsheet import csv_response
from aigc_contest.web.entries.models import Entry
from aigc_contest.web.judging import charts, forms, overrides, selectors, services
from aigc_contest.web.judging import signals as judge_signals
from aigc_contest.web.judging.blind import blind_card, blind_image, blind_pdf, without_names
from aigc_contest.web.judging.models import DEFAULT_METHOD, AggregationMethod, Assignment, AwardKind, Round
from aigc_contest.web.works import selectors as work_selectors

IMAGE_MIMES = {"image/png", "image/jpeg", "image/webp"}
PDF_MIME = "application/pdf"
HTML_MIME = "text/html"  # a playable interactive novel, served with a CSP sandbox (core/http.py)
MAX_LISTED_PROBLEMS = 50


class EmbedKind(StrEnum):
    """How the scoring page shows the work: as a picture, a PDF viewer, a sandboxed playable page, or a link."""

    IMAGE = "image"
    PDF = "pdf"
    HTML = "html"
    LINK = "link"


def _embed_kind(mime: str) -> EmbedKind:
    if mime in IMAGE_MIMES:
        return EmbedKind.IMAGE
    if mime == PDF_MIME:
        return EmbedKind.PDF
    if mime == HTML_MIME:
        return EmbedKind.HTML
    return EmbedKind.LINK

# ---------------------------------------------------------------- judges


@login_required
def judge_home(request: HttpRequest) -> HttpResponse:
    """The judge's own page (where signing in takes a judge): every open round with its entries to score."""
    return render(request, "judging/judge_home.html", {"rounds": selectors.judge_rounds(request.user)})


def _assignment(request: HttpRequest, pk: int) -> Assignment:
    assignment = get_object_or_404(
        Assignment.objects.select_related("round__competition", "entry__category", "version__theme"), pk=pk
    )
    if not request.user.has_perm("judging.score_assignment", assignment):
        raise Http404  # someone else's assignment does not exist for you
    return assignment


def _provenance_text(assignment: Assignment) -> dict[str, str]:
    if assignment.version.mime not in IMAGE_MIMES:
        return {}
    try:
        with assignment.version.file.open("rb") as handle:
            return blind_image(handle.read()).provenance
    except (OSError, ValueError):
        return {}


@login_required
def score_assignment(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    assignment = _assignment(request, pk)
    criteria = list(Criterion.objects.filter(competition=assignment.round.competition))
    if request.method == "POST":
        action = request.POST.get("action", "save")
        try:
            if action == "conflict":
                services.declare_conflict(request.user, assignment, request.POST.get("reason", ""))
                messages.success(request, _("Thank you. The entry was taken off your list and will go to another judge."))
                return redirect("judging-home")
            if action == "abstain":
                services.abstain(request.user, assignment, request.POST.get("reason", ""))
                messages.success(request, _("You abstained from this entry."))
                return redirect("judging-home")
            values = {c.pk: request.POST.get(f"score-{c.pk}", "") for c in criteria}
            comments = {c.pk: request.POST.get(f"comment-{c.pk}", "") for c in criteria}
            services.save_scores(request.user, assignment, values, comments,
                                 comment=request.POST.get("comment", ""), submit=action == "submit")
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            if action == "submit":
                messages.success(request, _("Scores submitted."))
                return redirect("judging-home")
            messages.success(request, _("Saved. You can come back and finish later."))
            return redirect("judging-score", pk=assignment.pk)
    saved = {s.criterion_id: s for s in assignment.scores.all()}
    rows = [{"criterion": c, "score": saved.get(c.pk), "descriptors": sorted((c.descriptors or {}).items())}
            for c in criteria]
    version = assignment.version
    names = selectors.team_names(assignment.entry)
    pairs, pairs_waiting = _comparison(assignment)
    return render(request, "judging/score.html", {
        "pairs": pairs, "pairs_waiting": pairs_waiting, "is_finetune": version.work_type == "finetuned_model",
        "finetune_metrics": _finetune_metrics(assignment),
        "assignment": assignment, "version": version, "rows": rows,
        "title": without_names(version.title, names), "description": without_names(version.description, names),
        "video": _video_of(version),
        "is_image": version.mime in IMAGE_MIMES, "embed": _embed_kind(version.mime),
        "provenance": _provenance_text(assignment),
        "signals": judge_signals.judge_signals(assignment.round.competition, assignment.entry, version),
        "editable": assignment.status == Assignment.Status.ASSIGNED and assignment.round.is_open,
    })


def _video_of(version: Any) -> dict[str, Any] | None:
    """The application's short video, as its version recorded it (None for other works)."""
    video = ((version.meta or {}).get("application") or {}).get("video")
    return video if isinstance(video, dict) and video.get("mime") in {"video/mp4", "video/webm"} else None


def _file_response(version: Any, names: list[str] | None = None) -> HttpResponse:
    """The submitted file with personal metadata removed (images re-encoded, PDF metadata dropped), never the
    original name; an application's card also without the team's names (`names`)."""
    with version.file.open("rb") as handle:
        data = handle.read()
    if names is not None and version.mime == HTML_MIME and version.work_type == "application":
        response = HttpResponse(blind_card(data.decode("utf-8", "replace"), names).encode("utf-8"),
                                content_type=version.mime)  # fmt: skip
    elif version.mime in IMAGE_MIMES:
        try:
            image = blind_image(data)
        except ValueError as exc:
            raise Http404 from exc
        response = HttpResponse(image.data, content_type=image.mime)
    elif version.mime == PDF_MIME:
        try:
            response = HttpResponse(blind_pdf(data), content_type=version.mime)
        except ValueError as exc:  # never fall back to the original: it may name the author
            raise Http404 from exc
    else:
        response = HttpResponse(data, content_type=version.mime)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, no-store"
    harden_work_response(response, version.mime)
    return response


@login_required
@xframe_options_sameorigin  # the scoring page shows PDFs and playable novels in a frame; other sites may not
def assignment_file(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _assignment(request, pk)
    return _file_response(assignment.version, selectors.team_names(assignment.entry))


@login_required
def assignment_video(request: HttpRequest, pk: int) -> HttpResponse:
    """An application's short video for its judge (played only when the judge presses play)."""
    video = _video_of(_assignment(request, pk).version) or {}
    return stored_file_response(video.get("path", ""), video.get("mime", ""))


def _lora_sha256(version: Any) -> str:
    meta = (version.meta or {}).get("finetune") if isinstance(version.meta, dict) else None
    return str((meta or {}).get("lora_sha256") or "")


def _comparison(assignment: Assignment) -> tuple[list[Any], int]:
    """The side-by-side pairs of a fine-tuning entry's submitted LoRA (base model, base + LoRA)."""
    if assignment.version.work_type != "finetuned_model":
        return [], 0
    return work_selectors.comparison_pairs(work_selectors.work_for(assignment.entry), _lora_sha256(assignment.version))


def _finetune_metrics(assignment: Assignment) -> Any:
    """A fine-tuning entry's advisory metrics (a CLIP model configured, model-based signals shown)."""
    from aigc_contest.web.judging.signals import RELEVANCE, visible_signals

    if assignment.version.work_type != "finetuned_model" or RELEVANCE not in visible_signals(assignment.round.competition):
        return None
    from aigc_contest.web.judging.finetune_metrics import metrics_for

    return metrics_for(assignment.entry)


@login_required
def comparison_picture(request: HttpRequest, pk: int, asset_pk: int) -> HttpResponse:
    """One picture of the side-by-side sheet, re-encoded as every blind picture is (its AI record kept,
    names and paths removed)."""
    assignment = _assignment(request, pk)
    if assignment.version.work_type != "finetuned_model":
        raise Http404
    asset = work_selectors.comparison_asset(work_selectors.work_for(assignment.entry), asset_pk)
    if asset is None:
        raise Http404
    with asset.file.open("rb") as handle:
        data = handle.read()
    try:
        image = blind_image(data)
    except ValueError as exc:
        raise Http404 from exc
    response = HttpResponse(image.data, content_type=image.mime)
    response["Cache-Control"] = "private, max-age=3600"
    return response


# ---------------------------------------------------------------- organisers


def _organiser_competition(request: HttpRequest, slug: str) -> Competition:
    competition = get_object_or_404(Competition, slug=slug)
    require(request.user, "judging.manage_judging", competition)
    return competition


# Each organiser action: the form that reads its input, the service call it makes, and where the page shows
# the form (its "slot") so that a refused input comes back beside its field. Actions posted by a button with
# hidden fields only have no slot; their errors are shown as messages.


@dataclass(frozen=True)
class OrganiserAction:
    form: type[forms.JudgingForm]
    run: Callable[[AuthenticatedHttpRequest, Any], None]
    slot: str | None = None


TOP_SLOTS = {"open_round", "award_places"}  # forms above and below the rounds
ROUND_FORMS: tuple[tuple[str, type[forms.RoundForm]], ...] = (  # forms in each round's section
    ("add_judge", forms.AddJudgeForm), ("pair", forms.PairForm), ("import", forms.ImportAssignmentsForm),
    ("promote", forms.PromoteForm), ("due_date", forms.DueDateForm))


def _open_round(request: AuthenticatedHttpRequest, form: forms.OpenRoundForm) -> None:
    services.open_round(request.user, form.competition, form.cleaned_data["kind"], k=form.cleaned_data["k"])
    messages.success(request, _("Round saved."))


def _award_places(request: AuthenticatedHttpRequest, form: forms.AwardPlacesForm) -> None:
    for category, places in form.places():
        services.set_award_places(request.user, category, places)
    messages.success(request, _("Award places saved."))


def _add_judge(request: AuthenticatedHttpRequest, form: forms.AddJudgeForm) -> None:
    judge = form.cleaned_data["username"]
    services.add_judge(request.user, form.round_, judge, min_load=form.cleaned_data["min_load"],
                       max_load=form.cleaned_data["max_load"])
    messages.success(request, _("%(name)s joined the panel.") % {"name": judge})


def _assign(request: AuthenticatedHttpRequest, form: forms.AssignForm) -> None:
    assigned = services.assign_judges(request.user, form.round_, early=form.cleaned_data["early"])
    messages.success(request, _("%(new)d new assignments (%(kept)d kept).")
                     % {"new": assigned.created, "kept": assigned.kept})


def _reassign(request: AuthenticatedHttpRequest, form: forms.RoundForm) -> None:
    assigned = services.assign_judges(request.user, form.round_, reassign=True)
    messages.success(request, _("%(new)d new assignments (%(kept)d kept, %(released)d unstarted ones redone).")
                     % {"new": assigned.created, "kept": assigned.kept, "released": assigned.released})


def _pair(write: Callable[[User, Round, Entry, User], object], done: str) -> Callable[..., None]:
    def run(request: AuthenticatedHttpRequest, form: forms.PairForm) -> None:
        entry, judge = form.cleaned_data["entry"], form.cleaned_data["judge"]
        write(request.user, form.round_, entry, judge)
        messages.success(request, _(done) % {"entry": entry.pk, "judge": judge.username})

    return run


def _import_assignments(request: AuthenticatedHttpRequest, form: forms.ImportAssignmentsForm) -> None:
    upload = form.cleaned_data["file"]
    report = overrides.import_assignments(request.user, form.round_, upload.read(overrides.MAX_CSV_BYTES + 1))
    messages.success(request, _("Assignment imported: %(new)d added, %(removed)d removed, %(kept)d kept, "
                                "%(pinned)d pinned.")
                     % {"new": report.created, "removed": report.removed, "kept": report.kept, "pinned": report.pinned})
    for warning in report.warnings:
        messages.warning(request, warning)


def _confirm(request: AuthenticatedHttpRequest, form: forms.ConfirmResultsForm) -> None:
    count = services.confirm_results(request.user, form.round_, form.cleaned_data["method"],
                                     accept_few_sheets=form.cleaned_data["accept_few_sheets"])
    messages.success(request, _("%(count)d results recorded.") % {"count": count})


def _awards(request: AuthenticatedHttpRequest, form: forms.RoundForm) -> None:
    count = services.give_awards(request.user, form.round_)
    messages.success(request, _("%(count)d awards given.") % {"count": count})


def _promote(request: AuthenticatedHttpRequest, form: forms.PromoteForm) -> None:
    data = form.cleaned_data
    cutoff = data.get("cutoff")
    report = services.promote_shortlist(
        request.user, form.round_, top=data.get("top"), cutoff=float(cutoff) if cutoff is not None else None,
        method=data.get("method") or str(DEFAULT_METHOD), kind=data.get("kind") or None, k=data["k"],
        accept_few_sheets=data["accept_few_sheets"])
    messages.success(request, _("%(n)d entries go on to the %(round)s round; this round is closed.")
                     % {"n": report.promoted, "round": report.round.get_kind_display()})


def _close_round(request: AuthenticatedHttpRequest, form: forms.RoundForm) -> None:
    services.close_round(request.user, form.round_)
    messages.success(request, _("Round closed: judges can no longer score in it."))


def _reopen_round(request: AuthenticatedHttpRequest, form: forms.RoundForm) -> None:
    services.reopen_round(request.user, form.round_)
    messages.success(request, _("Round open for scoring again."))


def _due_date(request: AuthenticatedHttpRequest, form: forms.DueDateForm) -> None:
    services.set_due_date(request.user, form.round_, form.cleaned_data.get("due_at"),
                          remind_days_before=form.cleaned_data["remind_days_before"])
    messages.success(request, _("Due date saved."))


# The texts are marked here and translated when the message is made (in _pair).
_PINNED = gettext_noop("%(judge)s is pinned to entry %(entry)s.")
_UNPINNED = gettext_noop("%(judge)s is no longer pinned to entry %(entry)s.")
_FORBIDDEN = gettext_noop("%(judge)s will not judge entry %(entry)s.")
_ALLOWED = gettext_noop("%(judge)s may judge entry %(entry)s again.")

ACTIONS: dict[str, OrganiserAction] = {
    "open_round": OrganiserAction(forms.OpenRoundForm, _open_round, "open_round"),
    "award_places": OrganiserAction(forms.AwardPlacesForm, _award_places, "award_places"),
    "add_judge": OrganiserAction(forms.AddJudgeForm, _add_judge, "add_judge"),
    "assign": OrganiserAction(forms.AssignForm, _assign),
    "reassign": OrganiserAction(forms.RoundForm, _reassign),
    "pin": OrganiserAction(forms.PairForm, _pair(overrides.pin_pair, _PINNED), "pair"),
    "forbid": OrganiserAction(forms.PairForm, _pair(overrides.forbid_pair, _FORBIDDEN), "pair"),
    "unpin": OrganiserAction(forms.PairForm, _pair(overrides.unpin_pair, _UNPINNED)),
    "unforbid": OrganiserAction(forms.PairForm, _pair(overrides.unforbid_pair, _ALLOWED)),
    "import_assignments": OrganiserAction(forms.ImportAssignmentsForm, _import_assignments, "import"),
    "confirm": OrganiserAction(forms.ConfirmResultsForm, _confirm),
    "awards": OrganiserAction(forms.RoundForm, _awards),
    "promote": OrganiserAction(forms.PromoteForm, _promote, "promote"),
    "close_round": OrganiserAction(forms.RoundForm, _close_round),
    "reopen_round": OrganiserAction(forms.RoundForm, _reopen_round),
    "due_date": OrganiserAction(forms.DueDateForm, _due_date, "due_date"),
}


def _refused(request: HttpRequest, exc: ServiceError) -> None:
    messages.error(request, exc.message)
    if isinstance(exc, overrides.AssignmentCsvRejected):
        for problem in exc.problems[:MAX_LISTED_PROBLEMS]:
            messages.error(request, str(problem))
        if len(exc.problems) > MAX_LISTED_PROBLEMS:
            messages.error(request, _("… and %(n)d more problems.") % {"n": len(exc.problems) - MAX_LISTED_PROBLEMS})


def _auto_id(slot: str | None, round_pk: object = "") -> str:
    """Field ids, unique on the page: a form in a round's section names the round."""
    if slot is None or slot == "award_places":
        return "id_%s"
    if slot == "open_round":
        return "round-%s"
    return f"{slot.replace('_', '-')}-{round_pk}-%s"


@login_required
def export_assignments(request: HttpRequest, slug: str, round_id: int) -> HttpResponse:
    """The round's assignment as CSV, to edit in a spreadsheet and upload again."""
    competition = _organiser_competition(request, slug)
    round_ = get_object_or_404(Round, competition=competition, pk=round_id)
    response, writer = csv_response(f"{competition.slug}-{round_.kind}-assignments.csv")
    writer.writerows(selectors.assignment_csv_rows(round_))
    return response


def _analysis_view(analysis: services.CategoryAnalysis, round_: Round, method: str) -> dict[str, Any]:
    prefix = f"chart-{round_.pk}-{analysis.category.pk}"
    return {
        "analysis": analysis,
        "charts": charts.judge_charts(analysis.before, analysis.after, analysis.judge_names, prefix, method),
        "judges": [{"name": analysis.judge_names.get(j.judge, j.judge), "agreement": j} for j in analysis.judges],
        "flagged": [{"name": analysis.judge_names.get(j.judge, j.judge), "agreement": j} for j in analysis.flagged],
    }


@login_required
def organiser_judging(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    competition = _organiser_competition(request, slug)
    if request.method != "POST":
        return _organiser_page(request, competition)
    action = ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        messages.error(request, _("Unknown action."))
        return _organiser_page(request, competition, status=400)
    form = action.form(request.POST, request.FILES, competition=competition,
                       auto_id=_auto_id(action.slot, request.POST.get("round", "")))
    if form.is_valid():
        try:
            action.run(request, form)
        except ServiceError as exc:
            _refused(request, exc)
        else:
            return redirect("judging-organiser", slug=slug)
    slot = _slot(action, form)
    if slot is None:  # no field on the page to show the errors beside
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return _organiser_page(request, competition, bound=(slot, form) if slot else None, status=400)


def _slot(action: OrganiserAction, form: forms.JudgingForm) -> str | None:
    """Where the page shows the refused form again, or None where it has no place: a button with hidden fields
    only, or a round that is not this competition's."""
    if action.slot is None or action.slot in TOP_SLOTS:
        return action.slot
    round_ = form.cleaned_data.get("round")
    return None if round_ is None else f"{action.slot}-{round_.pk}"


def _organiser_page(request: AuthenticatedHttpRequest, competition: Competition,
                    bound: tuple[str, forms.JudgingForm] | None = None, status: int = 200) -> HttpResponse:
    """The dashboard; `bound` is a refused form (by its slot) shown with the organiser's input and its errors."""

    def form_for(slot: str, form_class: type[forms.JudgingForm], **kwargs: Any) -> forms.JudgingForm:
        if bound is not None and bound[0] == slot:
            return bound[1]
        return form_class(competition=competition, **kwargs)

    rounds = []
    method = request.GET.get("method", "")
    for round_ in competition.rounds.all():
        progress = selectors.round_progress(round_)
        preview, preview_error = None, ""
        if method and str(round_.pk) == request.GET.get("round"):
            try:
                preview = services.preview_results(round_, method)
            except ServiceError as exc:
                preview_error = exc.message
        rounds.append({"round": round_, "judges": progress.judges, "categories": progress.categories,
                       "under_judged": progress.under_judged,
                       "opens_early": services.opens_early(round_),
                       "panel": round_.panel.select_related("judge"), "preview": preview,
                       "preview_error": preview_error,
                       "analyses": [_analysis_view(a, round_, preview.method) for a in preview.analyses] if preview else [],
                       "pinned": round_.assignments.filter(pinned=True).select_related("judge", "entry"),
                       "forbidden": selectors.forbidden_pairs(round_),
                       "shortlist": selectors.shortlist(round_) if round_.source_id else None,
                       "next_kind": services.next_kind(round_),
                       "next_kind_taken": round_.next_rounds.exists(),  # promoted: awards come from later
                       "confirmed": round_.results.select_related("entry__team", "category").order_by("category", "rank"),
                       "forms": {slot: form_for(f"{slot}-{round_.pk}", form_class, initial={
                                    "round": round_.pk, "due_at": round_.due_at, "kind": services.next_kind(round_),
                                    "remind_days_before": round_.remind_days_before, "k": round_.judges_per_entry,
                                    "top": round_.promote_top, "cutoff": round_.promote_cutoff},  # the planned shortlist
                                                auto_id=_auto_id(slot, round_.pk))
                                 for slot, form_class in ROUND_FORMS}})
    current = {c.pk: services.award_places(c) for c in competition.categories.all()}
    award_form = form_for("award_places", forms.AwardPlacesForm, current=current, auto_id=_auto_id("award_places"))
    return render(request, "judging/organiser.html", {
        "competition": competition, "rounds": rounds, "methods": AggregationMethod.values, "method": method,
        "open_round_form": form_for("open_round", forms.OpenRoundForm, auto_id=_auto_id("open_round")),
        "award_form": award_form, "award_kinds": AwardKind.choices,
        "published": selectors.embargo_lifted(competition),
        "awards": selectors.published_awards(competition),
        "results_notice": selectors.results_notice(competition),
        "conflicts": selectors.declared_conflicts(competition),
        "addresses_shown": selectors.addresses_shown(competition),
    }, status=status)


@login_required
def organiser_signals(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Advisory signals for every submitted entry (sortable), the near-duplicate pairs side by side, and the
    choice of what judges see. Nothing here changes a score or a rank."""
    competition = _organiser_competition(request, slug)
    status = 200
    if request.method == "POST":
        form = forms.JudgeSignalsForm(request.POST, competition=competition)
        if form.is_valid():
            try:
                services.set_judge_signals(request.user, competition, form.cleaned_data["signals"])
                services.set_past_editions(request.user, competition, form.cleaned_data["past_editions"])
            except ServiceError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Saved: judges see the signals ticked."))
                return redirect("judging-signals", slug=slug)
        status = 400
    else:
        form = forms.JudgeSignalsForm(
            competition=competition,
            initial={
                "signals": sorted(judge_signals.visible_signals(competition)),
                "past_editions": list(competition.past_editions.all()),
            },
        )
    found = judge_signals.competition_signals(competition)
    rows, sort = judge_signals.sorted_rows(found.rows, request.GET.get("sort", ""))
    columns = []
    for name, label in (
        ("entry", _("Entry")),
        ("duplicates", _("Near-duplicate")),
        ("readability", _("Readability")),
        ("file_evidence", _("File metadata")),
        ("relevance", _("Relevance to the theme")),
    ):
        active = sort.removeprefix("-") == name
        descending = active and sort.startswith("-")
        columns.append({"name": name, "label": label, "next": name if descending else f"-{name}",
                        "aria_sort": ("descending" if descending else "ascending") if active else ""})
    return render(request, "judging/signals.html", {
        "competition": competition, "rows": rows, "pairs": found.pairs, "sort": sort, "columns": columns,
        "form": form, "visible": judge_signals.visible_signals(competition),
        "addresses_shown": selectors.addresses_shown(competition),
    }, status=status)


@login_required
def export_results(request: HttpRequest, slug: str) -> HttpResponse:
    """Published results as CSV; before the announcement the file has its header only."""
    competition = _organiser_competition(request, slug)
    response, writer = csv_response(f"{competition.slug}-results.csv")
    writer.writerow(["category", "entry", "title", "team", "rank", "score", "raw_score", "n_judges", "method", "award"])
    awards = {a.entry_id: a.kind for a in selectors.published_awards(competition)}
    for r in selectors.published_results(competition):
        writer.writerow([r.category.slug, r.entry_id, r.entry.title, r.entry.team.name, r.rank,
                         Decimal(f"{r.score:.4f}"), Decimal(f"{r.raw_score:.4f}"), r.n_judges, r.method,
                         awards.get(r.entry_id, "")])
    return response


# ---------------------------------------------------------------- everyone


def winners(request: HttpRequest, slug: str) -> HttpResponse:
    competition = contest_selectors.competition_by_slug(slug)
    now = timezone.now()
    return render(request, "judging/winners.html", {
        "competition": competition, "published": selectors.embargo_lifted(competition, now),
        "gallery": selectors.winners_gallery(competition, now),
    })


def winner_file(request: HttpRequest, slug: str, award_id: int) -> HttpResponse:
    competition = contest_selectors.competition_by_slug(slug)
    award = selectors.published_awards(competition).filter(pk=award_id).first()
    if award is None or award.result is None:
        raise Http404
    return _file_response(award.result.version)

