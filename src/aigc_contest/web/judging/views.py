"""Judging pages: judges score blind; organisers assign, follow progress, confirm results and awards;
everyone sees the winners once the embargo lifts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin

from aigc_contest.judging import METHODS
from aigc_contest.web.accounts.http import AuthenticatedHttpRequest
from aigc_contest.web.accounts.models import User
from aigc_contest.web.certificates import selectors as certificate_selectors
from aigc_contest.web.contests import selectors as contest_selectors
from aigc_contest.web.contests.models import Competition, Criterion
from aigc_contest.web.core.errors import ServiceError, require
from aigc_contest.web.core.http import harden_work_response
from aigc_contest.web.core.spreadsheet import csv_response
from aigc_contest.web.entries.models import Entry
from aigc_contest.web.judging import charts, overrides, selectors, services
from aigc_contest.web.judging.blind import blind_image, blind_pdf
from aigc_contest.web.judging.models import Assignment, AwardKind, Round

IMAGE_MIMES = {"image/png", "image/jpeg", "image/webp"}
PDF_MIME = "application/pdf"
HTML_MIME = "text/html"  # a playable interactive novel, served with a CSP sandbox (core/http.py)
MAX_LISTED_PROBLEMS = 50


def _embed_kind(mime: str) -> str:
    """How the scoring page shows the work: as a picture, a PDF viewer, a sandboxed playable page, or a link."""
    if mime in IMAGE_MIMES:
        return "image"
    if mime == PDF_MIME:
        return "pdf"
    if mime == HTML_MIME:
        return "html"
    return "link"

# ---------------------------------------------------------------- judges


@login_required
def judge_home(request: HttpRequest) -> HttpResponse:
    assignments = list(selectors.assignments_for_judge(request.user))
    return render(request, "judging/judge_home.html", {"assignments": assignments})


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
    return render(request, "judging/score.html", {
        "assignment": assignment, "version": version, "rows": rows,
        "is_image": version.mime in IMAGE_MIMES, "embed": _embed_kind(version.mime),
        "provenance": _provenance_text(assignment),
        "editable": assignment.status == Assignment.Status.ASSIGNED and assignment.round.is_open,
    })


def _file_response(version: Any) -> HttpResponse:
    """The submitted file with personal metadata removed (images re-encoded, PDF metadata dropped), never the
    original name."""
    with version.file.open("rb") as handle:
        data = handle.read()
    if version.mime in IMAGE_MIMES:
        try:
            image = blind_image(data)
        except ValueError as exc:
            raise Http404 from exc
        response = HttpResponse(image.data, content_type=image.mime)
    elif version.mime == "application/pdf":
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
    return _file_response(_assignment(request, pk).version)


# ---------------------------------------------------------------- organisers


def _organiser_competition(request: HttpRequest, slug: str) -> Competition:
    competition = get_object_or_404(Competition, slug=slug)
    require(request.user, "judging.manage_judging", competition)
    return competition


def _int(value: str | None, default: int) -> int:
    try:
        return int(value or default)
    except (TypeError, ValueError):
        raise ServiceError(_("Please enter a whole number.")) from None


def _organiser_action(request: AuthenticatedHttpRequest, competition: Competition) -> None:
    action = request.POST.get("action")
    round_ = Round.objects.filter(competition=competition, pk=request.POST.get("round") or 0).first()
    if action == "open_round":
        services.open_round(request.user, competition, request.POST.get("kind", Round.Kind.SCORING),
                            k=_int(request.POST.get("k"), 3))
        messages.success(request, _("Round saved."))
        return
    if action == "issue_certificates":
        from aigc_contest.web.certificates.services import start_issue_all

        start_issue_all(request.user, competition)
        messages.success(request, _("Issuing certificates. You can follow the progress below; "
                                    "certificates already issued are kept."))
        return
    if action == "award_places":
        for category in competition.categories.all():
            services.set_award_places(request.user, category, {
                kind: _int(request.POST.get(f"places-{category.pk}-{kind}"), 0) for kind in AwardKind.values
            })
        messages.success(request, _("Award places saved."))
        return
    if round_ is None:
        raise ServiceError(_("Open a round first."))
    if action == "add_judge":
        judge = User.objects.filter(username=request.POST.get("username", "").strip(), role="judge").first()
        if judge is None:
            raise ServiceError(_("No judge with that user name."))
        services.add_judge(request.user, round_, judge, min_load=_int(request.POST.get("min_load"), 0),
                           max_load=_int(request.POST.get("max_load"), 20))
        messages.success(request, _("%(name)s joined the panel.") % {"name": judge})
    elif action == "assign":
        assigned = services.assign_judges(request.user, round_)
        messages.success(request, _("%(new)d new assignments (%(kept)d kept).")
                         % {"new": assigned.created, "kept": assigned.kept})
    elif action == "reassign":
        assigned = services.assign_judges(request.user, round_, reassign=True)
        messages.success(request, _("%(new)d new assignments (%(kept)d kept, %(released)d unstarted ones redone).")
                         % {"new": assigned.created, "kept": assigned.kept, "released": assigned.released})
    elif action in {"pin", "unpin", "forbid", "unforbid"}:
        _pair_action(request, competition, round_, action)
    elif action == "import_assignments":
        _import_assignments(request, round_)
    elif action == "confirm":
        count = services.confirm_results(request.user, round_, request.POST.get("method", "mean"))
        messages.success(request, _("%(count)d results recorded.") % {"count": count})
    elif action == "awards":
        count = services.give_awards(request.user, round_)
        messages.success(request, _("%(count)d awards given.") % {"count": count})
    else:
        raise ServiceError(_("Unknown action."))


def _pair_action(request: AuthenticatedHttpRequest, competition: Competition, round_: Round, action: str) -> None:
    entry_text = request.POST.get("entry", "").strip().lstrip("#")
    entry = (Entry.objects.filter(pk=int(entry_text), category__competition=competition).select_related("category")
             .first() if entry_text.isdigit() else None)
    if entry is None:
        raise ServiceError(_("No entry with that number in this competition."))
    judge = User.objects.filter(username=request.POST.get("judge", "").strip(), role="judge").first()
    if judge is None:
        raise ServiceError(_("No judge with that user name."))
    names = {"entry": entry.pk, "judge": judge.username}
    if action == "pin":
        overrides.pin_pair(request.user, round_, entry, judge)
        messages.success(request, _("%(judge)s is pinned to entry %(entry)s.") % names)
    elif action == "unpin":
        overrides.unpin_pair(request.user, round_, entry, judge)
        messages.success(request, _("%(judge)s is no longer pinned to entry %(entry)s.") % names)
    elif action == "forbid":
        overrides.forbid_pair(request.user, round_, entry, judge)
        messages.success(request, _("%(judge)s will not judge entry %(entry)s.") % names)
    else:
        overrides.unforbid_pair(request.user, round_, entry, judge)
        messages.success(request, _("%(judge)s may judge entry %(entry)s again.") % names)


def _import_assignments(request: AuthenticatedHttpRequest, round_: Round) -> None:
    upload = request.FILES.get("file")
    if upload is None:
        raise ServiceError(_("Choose a CSV file first."))
    try:
        report = overrides.import_assignments(request.user, round_, upload.read(overrides.MAX_CSV_BYTES + 1))
    except overrides.AssignmentCsvRejected as exc:
        messages.error(request, exc.message)
        for problem in exc.problems[:MAX_LISTED_PROBLEMS]:
            messages.error(request, str(problem))
        if len(exc.problems) > MAX_LISTED_PROBLEMS:
            messages.error(request, _("… and %(n)d more problems.") % {"n": len(exc.problems) - MAX_LISTED_PROBLEMS})
        return
    messages.success(request, _("Assignment imported: %(new)d added, %(removed)d removed, %(kept)d kept, "
                                "%(pinned)d pinned.")
                     % {"new": report.created, "removed": report.removed, "kept": report.kept, "pinned": report.pinned})
    for warning in report.warnings:
        messages.warning(request, warning)


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
    if request.method == "POST":
        try:
            _organiser_action(request, competition)
        except ServiceError as exc:
            messages.error(request, exc.message)
        return redirect("judging-organiser", slug=slug)
    rounds = []
    method = request.GET.get("method", "")
    for round_ in competition.rounds.all():
        judges, categories = selectors.round_progress(round_)
        preview, preview_error = None, ""
        if method and str(round_.pk) == request.GET.get("round"):
            try:
                preview = services.preview_results(round_, method)
            except ServiceError as exc:
                preview_error = exc.message
        rounds.append({"round": round_, "judges": judges, "categories": categories,
                       "panel": round_.panel.select_related("judge"), "preview": preview,
                       "preview_error": preview_error,
                       "analyses": [_analysis_view(a, round_, preview.method) for a in preview.analyses] if preview else [],
                       "pinned": round_.assignments.filter(pinned=True).select_related("judge", "entry"),
                       "forbidden": selectors.forbidden_pairs(round_),
                       "confirmed": round_.results.select_related("entry__team", "category").order_by("category", "rank")})
    award_rows = [(c, [(k, label, services.award_places(c).get(k, 0)) for k, label in AwardKind.choices])
                  for c in competition.categories.all()]
    return render(request, "judging/organiser.html", {
        "competition": competition, "rounds": rounds, "methods": list(METHODS), "method": method,
        "round_kinds": Round.Kind.choices, "award_rows": award_rows,
        "published": selectors.embargo_lifted(competition),
        "awards": selectors.published_awards(competition),
        "certificate_job": _with_position(certificate_selectors.issue_job(competition)),
    })


def _with_position(job: Any) -> Any:
    from aigc_contest.web.jobs.selectors import queue_position

    if job is not None:
        job.position = queue_position(job)
    return job


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

