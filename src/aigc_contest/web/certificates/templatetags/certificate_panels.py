"""`{% issue_certificates_panel competition %}`: the bulk issuing job's progress and its button.

The judging organiser page shows this panel; judging sits below certificates and does not import it, so
its template loads this library instead. The button posts to the certificates app's own view."""

from __future__ import annotations

from typing import Any

from django import template

from aigc_contest.web.certificates import selectors
from aigc_contest.web.certificates.forms import IssueCertificatesForm
from aigc_contest.web.jobs.selectors import queue_position

register = template.Library()


@register.inclusion_tag("certificates/_issue_panel.html", takes_context=True)
def issue_certificates_panel(context: template.Context, competition: Any) -> dict[str, Any]:
    job = selectors.issue_job(competition)
    if job is not None:
        job.position = queue_position(job)  # type: ignore[attr-defined]
    return {"competition": competition, "certificate_job": job, "form": IssueCertificatesForm(),
            "csrf_token": context.get("csrf_token")}
