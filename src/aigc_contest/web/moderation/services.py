"""Writes for moderation: recording safety verdicts, teachers' reviews, and a school's safety settings.

`record_verdict` is called by every path that screens a child's content (the image studio, the job
worker). It never raises: a failed audit write is logged and the child's work carries on.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from aigc_contest.safety import DEFAULT_POLICY, SafetyRefusal, SafetyVerdict, check_text
from aigc_contest.safety.guard import text_sha256
from aigc_contest.web.accounts.models import Role, User
from aigc_contest.web.core.errors import ServiceError, require
from aigc_contest.web.core.translation import product_language
from aigc_contest.web.jobs.kinds import SAFETY_POLICY_PARAM
from aigc_contest.web.jobs.models import Job
from aigc_contest.web.moderation.models import EXCERPT_CHARS, SafetyEvent, SchoolSafetyPolicy, split_terms
from aigc_contest.web.moderation.selectors import policy_for
from aigc_contest.web.notifications.emails import render_message
from aigc_contest.web.notifications.jobs import enqueue_email

logger = logging.getLogger(__name__)

IMAGE_PLACES = {SafetyEvent.Where.GENERATED_IMAGE, SafetyEvent.Where.UPLOAD}
IMAGE_CATEGORIES = {"nsfw_image", "unreadable_image"}
MAX_TERMS_CHARS = 5000


# A self-harm signal in these is the child's own: their school's safety contact is told.
CHILDS_OWN_WORDS = {SafetyEvent.Where.PROMPT, SafetyEvent.Where.UPLOAD}
SELF_HARM_NOTICE_MINUTES = 30  # one e-mail to the safety contact per student in this time


def outcome_of(verdict: SafetyVerdict) -> str:
    if verdict.needs_review and verdict.category != "self_harm":  # held for a teacher, or shown but flagged
        return SafetyEvent.Outcome.NEEDS_REVIEW
    if not verdict.allowed:
        return SafetyEvent.Outcome.REFUSED
    return SafetyEvent.Outcome.ALLOWED


def record_verdict(
    user: Any,
    where: str,
    verdict: SafetyVerdict,
    excerpt: str = "",
    *,
    data: bytes | None = None,
    job: Any = None,
    keep_allowed: bool = False,
) -> SafetyEvent | None:
    """Store a refused or flagged verdict in the audit log (allowed ones only with keep_allowed).

    `excerpt` is the checked text (cut short); for pictures pass `data` and only its SHA-256 is kept."""
    outcome = outcome_of(verdict)
    if outcome == SafetyEvent.Outcome.ALLOWED and not keep_allowed:
        return None
    try:
        user = user if getattr(user, "is_authenticated", False) else None
        text = "" if where in IMAGE_PLACES else " ".join((excerpt or "").split())[:EXCERPT_CHARS]
        event = SafetyEvent.objects.create(
            user=user,
            school_id=getattr(user, "school_id", None),
            job=job,
            where=where,
            layer=(verdict.layer or "")[:40],
            category=(verdict.category or "")[:40],
            score=verdict.score,
            outcome=outcome,
            matched=[str(term)[:200] for term in verdict.matched[:20]],
            excerpt=text,
            content_sha256=_content_hash(where, verdict, excerpt, data),
        )
    except Exception:  # noqa: BLE001 - the audit log must never stop a child's work
        logger.exception("could not record a safety event")
        return None
    if event.category == "self_harm" and where in CHILDS_OWN_WORDS:
        notify_safety_contact(event)
    return event


def _content_hash(where: str, verdict: SafetyVerdict, text: str, data: bytes | None) -> str:
    """A picture's SHA-256; for a text the guard held for review, the whole text's (so that a teacher's
    approval lets exactly that text through next time: selectors.policy_for)."""
    if data:
        return hashlib.sha256(data).hexdigest()
    if verdict.held_for_review and where not in IMAGE_PLACES and text:
        return text_sha256(text)
    return ""


def notify_safety_contact(event: SafetyEvent) -> Any:
    """Tell the school's safety contact, privately, that a student may be at risk: an `email` job naming
    no one and repeating nothing, with a link to the review queue (where only the school's teachers see
    the event). At most one message per student every SELF_HARM_NOTICE_MINUTES. Never raises."""
    try:
        return _notify_safety_contact(event)
    except Exception:  # noqa: BLE001 - the child's kind message must not depend on the e-mail
        logger.exception("could not notify the safety contact of event %s", event.pk)
        return None


def _notify_safety_contact(event: SafetyEvent) -> Any:
    if event.school_id is None or event.user_id is None:
        return None
    row = SchoolSafetyPolicy.objects.filter(school_id=event.school_id).first()
    contact = (row.safety_contact_email if row else "").strip()
    if not contact:
        return None
    since = event.created_at - timedelta(minutes=SELF_HARM_NOTICE_MINUTES)
    earlier = SafetyEvent.objects.filter(
        user_id=event.user_id, category="self_harm", created_at__gte=since
    ).exclude(pk=event.pk)
    if earlier.exists():
        return None
    # The job belongs to a staff member where one can be found, so it never appears among the child's jobs.
    owner = (
        User.objects.filter(email__iexact=contact).first()
        or User.objects.filter(school_id=event.school_id, role=Role.TEACHER).order_by("pk").first()
        or event.user
    )
    context = {"school": event.school, "event": event, "queue_url": reverse("moderation-queue")}
    subject, body = render_message("safety_contact", context)
    with transaction.atomic():
        return enqueue_email(owner, recipients=[contact], subject=subject, body=body)


def child_language() -> str:
    """The page's language as the safety messages name it ("en", "zh-Hant", "zh-Hans")."""
    return product_language()


def screen_text(actor: Any, text: str, where: str = SafetyEvent.Where.PROMPT) -> None:
    """A participant's own words under their school's safety settings: the verdict goes to the audit log,
    and a refusal raises ServiceError("refused") with the kind message (never the words themselves)."""
    if not (text or "").strip():
        return
    verdict = check_text(text, policy_for(actor))
    record_verdict(actor, where, verdict, text)
    if not verdict.allowed:
        raise ServiceError(verdict.message(child_language()), "refused")


def job_policy_params(actor: Any) -> dict[str, Any]:
    """The job parameters that carry the actor's school safety settings (empty for the platform default)."""
    policy = policy_for(actor)
    data = policy.model_dump(mode="json", exclude_defaults=True) if policy is not DEFAULT_POLICY else {}
    return {SAFETY_POLICY_PARAM: data} if data else {}


def record_job_refusal(job_id: int, outcome: object) -> SafetyEvent | None:
    """Called by the job worker for each failed job: a safety refusal goes to the audit log.

    A picture refused after generation counts as a generated image (only its kind is known, never the
    picture); otherwise the participant's own prompt was the problem, or else the text the model wrote."""
    if not isinstance(outcome, SafetyRefusal):
        return None
    try:
        return _record_job_refusal(job_id, outcome)
    except Exception:  # noqa: BLE001 - the audit log must never stop the worker
        logger.exception("could not record the safety refusal of job %s", job_id)
        return None


def _record_job_refusal(job_id: int, outcome: SafetyRefusal) -> SafetyEvent | None:
    job = Job.objects.select_related("owner").filter(pk=job_id).first()
    if job is None:
        return None
    verdict = outcome.verdict
    params = job.params or {}
    prompt = str(params.get("original_prompt") or params.get("prompt") or "")
    if not prompt and isinstance(params.get("messages"), list):
        prompt = " ".join(str(m.get("content", "")) for m in params["messages"] if isinstance(m, dict))
    if verdict.category in IMAGE_CATEGORIES or verdict.layer in {"image_nsfw", "image_guard"}:
        where = SafetyEvent.Where.GENERATED_IMAGE
    elif job.kind == "image" or not check_text(prompt).allowed:
        where = SafetyEvent.Where.PROMPT
    else:
        where = SafetyEvent.Where.GENERATED_TEXT
    return record_verdict(job.owner, where, verdict, prompt, job=job)


@transaction.atomic
def review_event(
    actor: Any, event: SafetyEvent, *, decision: str, note: str = "", allow_terms: bool = False
) -> SafetyEvent:
    """A teacher's (or organiser's) decision on an event. Approving may also let the matched words through
    for the event's school from now on (keyword refusals only)."""
    require(actor, "moderation.review_event", event)
    if decision not in {SafetyEvent.Decision.APPROVED, SafetyEvent.Decision.KEPT_BLOCKED}:
        raise ServiceError(_("Choose approve or keep blocked."))
    event.decision = decision
    event.note = (note or "").strip()[:500]
    event.reviewed_by = actor
    event.reviewed_at = timezone.now()
    event.save(update_fields=["decision", "note", "reviewed_by", "reviewed_at"])
    if allow_terms and decision == SafetyEvent.Decision.APPROVED:
        if event.layer != "keywords" or not event.matched or event.school_id is None:
            raise ServiceError(_("Only blocked words of a school's student can be allowed."))
        row, _created = SchoolSafetyPolicy.objects.get_or_create(school_id=event.school_id)
        terms = split_terms(row.allowed_terms) + tuple(str(term) for term in event.matched)
        row.allowed_terms = "\n".join(dict.fromkeys(terms))[:MAX_TERMS_CHARS]
        row.updated_by = actor
        row.save()
    return event


def update_school_policy(
    actor: Any, school: Any, *, extra_blocked_terms: str, allowed_terms: str, nsfw_threshold: float
) -> SchoolSafetyPolicy:
    """A teacher edits their own school's settings; pictures may only be screened more strictly than the
    platform default (organisers set anything in the admin)."""
    require(actor, "moderation.edit_school_policy", school)
    if not 0.05 <= nsfw_threshold <= 0.95:
        raise ServiceError(_("Picture strictness must be between 0.05 and 0.95."))
    if nsfw_threshold > DEFAULT_POLICY.nsfw_threshold and not actor.has_perm("moderation.view_all_events"):
        raise ServiceError(
            _("Picture strictness can only be made stricter (%(max)s or lower).")
            % {"max": DEFAULT_POLICY.nsfw_threshold}
        )
    blocked, allowed = split_terms(extra_blocked_terms), split_terms(allowed_terms)
    if any(len(term) > 100 for term in blocked + allowed):
        raise ServiceError(_("Each word or phrase can be at most 100 characters."))
    row, _created = SchoolSafetyPolicy.objects.get_or_create(school=school)
    row.extra_blocked_terms = "\n".join(blocked)[:MAX_TERMS_CHARS]
    row.allowed_terms = "\n".join(allowed)[:MAX_TERMS_CHARS]
    row.nsfw_threshold = nsfw_threshold
    row.updated_by = actor
    row.save()
    return row
