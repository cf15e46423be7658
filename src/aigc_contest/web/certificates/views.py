"""Certificate pages: the public verification page, the holder's (and teacher's) list and downloads."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aigc_contest.web.accounts.http import AuthenticatedHttpRequest
from aigc_contest.web.certificates import selectors, services
from aigc_contest.web.certificates.models import Certificate
from aigc_contest.web.core.errors import ServiceError


def verify(request: HttpRequest, uuid: UUID) -> HttpResponse:
    result = services.verify(uuid)
    status = 404 if result.status == "unknown" else 200
    return render(request, "certificates/verify.html", {"result": result}, status=status)


@login_required
def my_certificates(request: HttpRequest) -> HttpResponse:
    certificates = selectors.certificates_for(request.user).order_by("competition", "user__display_name", "kind")
    return render(request, "certificates/list.html", {"certificates": certificates})


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
