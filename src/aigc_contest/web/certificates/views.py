"""Certificate pages: the public verification page, the holder's (and teacher's) list and downloads."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aigc_contest.web.accounts.http import AuthenticatedHttpRequest
from aigc_contest.web.accounts.models import School
from aigc_contest.web.certificates import archives, selectors, services
from aigc_contest.web.certificates.forms import IssueCertificatesForm
from aigc_contest.web.certificates.models import Certificate
from aigc_contest.web.contests.models import Competition
from aigc_contest.web.core.errors import ServiceError, require


def verify(request: HttpRequest, uuid: UUID) -> HttpResponse:
    result = services.verify(uuid)
    status = 404 if result.status == "unknown" else 200
    return render(request, "certificates/verify.html", {"result": result}, status=status)


PAGE_SIZE = 50


@login_required
def my_certificates(request: HttpRequest) -> HttpResponse:
    """The certificates the user may see, searchable (holder, team, school, number) and paginated, with the
    ZIP of each school's certificates the user may download."""
    query = request.GET.get("q", "").strip()[:100]
    competition_id = request.GET.get("competition", "")
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    visible = selectors.certificates_for(request.user)
    certificates = selectors.search(visible, query=query, competition=competition_id, status=status, kind=kind)
    page = Paginator(certificates.order_by("competition", "user__display_name", "kind", "id"), PAGE_SIZE).get_page(
        request.GET.get("page"))
    competitions = Competition.objects.filter(pk__in=visible.values("competition")).order_by("-submission_deadline")
    chosen = competitions.filter(pk=competition_id).first() if competition_id.isdigit() else None
    kept = request.GET.copy()
    kept.pop("page", None)
    return render(request, "certificates/list.html", {
        "certificates": page, "page": page, "query": query, "status": status, "kind": kind,
        "competitions": competitions, "chosen": chosen, "kept_query": kept.urlencode(),
        "archives": archives.archives_for(request.user, chosen),  # type: ignore[arg-type]
        "can_manage": request.user.has_perm("certificates.manage_certificates"),
    })


@login_required
@require_POST
def issue_certificates(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """Queue the bulk issuing job; its progress is the panel on the judging organiser page
    (`{% issue_certificates_panel %}`), where the organiser is sent back to."""
    competition = get_object_or_404(Competition, slug=slug)
    require(request.user, "certificates.manage_certificates", competition)
    if IssueCertificatesForm(request.POST).is_valid():
        try:
            services.start_issue_all(request.user, competition)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Issuing certificates. You can follow the progress below; "
                                        "certificates already issued are kept."))
    return redirect("judging-organiser", slug=competition.slug)


@login_required
@require_POST
def start_school_archives(request: AuthenticatedHttpRequest, competition_id: int) -> HttpResponse:
    competition = get_object_or_404(Competition, pk=competition_id)
    try:
        jobs = archives.start_school_archives(request.user, competition)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Building the certificates of %(n)d schools; each school's teachers get an "
                                    "e-mail when theirs is ready.") % {"n": len(jobs)})
    return redirect(f"{reverse('certificates-mine')}?competition={competition.pk}")


@login_required
def school_archive(request: HttpRequest, competition_id: int, school_id: int) -> FileResponse:
    """The school's latest ZIP, streamed from storage after the permission check."""
    competition = get_object_or_404(Competition, pk=competition_id)
    school = get_object_or_404(School, pk=school_id)
    record = archives.latest_archive(competition, school)
    if record is None or not request.user.has_perm("certificates.download_school_archive", record):
        raise Http404
    return FileResponse(record.file.open("rb"), content_type="application/zip", as_attachment=True,
                        filename=f"{competition.slug}-{school.code}-certificates.zip")


def _certificate(request: HttpRequest, uuid: UUID, perm: str) -> Certificate:
    certificate = get_object_or_404(Certificate.objects.select_related("user", "team"), uuid=uuid)
    if not request.user.has_perm(perm, certificate):
        raise Http404
    return certificate


@login_required
def download(request: HttpRequest, uuid: UUID) -> FileResponse:
    certificate = _certificate(request, uuid, "certificates.download_certificate")
    return FileResponse(certificate.pdf.open("rb"), content_type="application/pdf", as_attachment=True,
                        filename=f"certificate-{certificate.uuid}.pdf")


@login_required
@require_POST
def revoke(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    certificate = _certificate(request, uuid, "certificates.manage_certificates")
    try:
        services.revoke(request.user, certificate, request.POST.get("reason", ""))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The certificate is revoked."))
    return redirect("certificates-mine")
