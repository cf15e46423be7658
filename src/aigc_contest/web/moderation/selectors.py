"""Reads for moderation: the safety policy that applies to a person, and the events a reviewer may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from aigc_contest.generation.guards import attach_guards
from aigc_contest.safety import DEFAULT_POLICY, SafetyPolicy
from aigc_contest.safety.tiers import age_band_for
from aigc_contest.web.moderation.models import SafetyEvent, SchoolSafetyPolicy


def policy_for_school(school: Any) -> SafetyPolicy:
    if school is None:
        return DEFAULT_POLICY
    row = SchoolSafetyPolicy.objects.filter(school=school).first()
    return row.as_policy() if row else DEFAULT_POLICY


def age_band_of(user: Any) -> str:
    """The person's age band for the guard tiers, from their grade and school level (accounts)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return "primary"
    if not getattr(user, "is_student", False):
        return "adult"  # teachers, organisers and judges
    school = user.school if user.school_id else None
    return age_band_for(user.grade, school.level if school else None, is_adult=user.is_adult)


def policy_for(user: Any) -> SafetyPolicy:
    """The policy for a person's content: their school's, or the platform default (no school, anonymous),
    for their age band, with the models file's guard models attached (generation.guards)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.school_id:
        policy = DEFAULT_POLICY
    else:
        policy = policy_for_school(user.school)
    changes: dict[str, Any] = {}
    band = age_band_of(user)
    if band != policy.age_band:
        changes["age_band"] = band
    if approved := approved_texts(user):
        changes["approved_sha256"] = approved
    if changes:
        policy = policy.model_copy(update=changes)
    return attach_guards(policy) or DEFAULT_POLICY


APPROVALS_KEPT = 50


def approved_texts(user: Any) -> tuple[str, ...]:
    """Hashes of the person's texts that the guard held and a teacher then approved (latest first)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ()
    rows = (
        SafetyEvent.objects.filter(
            user=user, outcome=SafetyEvent.Outcome.NEEDS_REVIEW, decision=SafetyEvent.Decision.APPROVED
        )
        .exclude(content_sha256="")
        .exclude(where__in=[SafetyEvent.Where.GENERATED_IMAGE, SafetyEvent.Where.UPLOAD])
        .order_by("-reviewed_at")
        .values_list("content_sha256", flat=True)[:APPROVALS_KEPT]
    )
    return tuple(dict.fromkeys(rows))


def school_policy_row(school: Any) -> SchoolSafetyPolicy:
    """The school's row, unsaved when the school has none yet (defaults filled in)."""
    return SchoolSafetyPolicy.objects.filter(school=school).first() or SchoolSafetyPolicy(school=school)


def events_for(user: Any, *, show: str = "waiting") -> QuerySet[SafetyEvent]:
    """Events a reviewer may see: organisers all, teachers their school's, everyone else none. A school's
    self-harm events are private to that school's teachers (and its safety contact, by e-mail): organisers
    see only those of people without a school.

    show: "waiting" (refused or flagged, not yet reviewed), "reviewed", or "all"."""
    events = SafetyEvent.objects.select_related("user", "school", "reviewed_by")
    if user.has_perm("moderation.view_all_events"):
        private = Q(category="self_harm", school__isnull=False)
        if user.has_perm("moderation.view_school_events") and user.school_id:
            private &= ~Q(school_id=user.school_id)
        events = events.exclude(private)
    elif user.has_perm("moderation.view_school_events") and user.school_id:
        events = events.filter(school_id=user.school_id)
    else:
        return events.none()
    if show == "waiting":
        events = events.filter(decision="").exclude(outcome=SafetyEvent.Outcome.ALLOWED)
    elif show == "reviewed":
        events = events.exclude(decision="")
    return events


def refusal_for_job(job_id: int) -> SafetyEvent | None:
    """The refusal recorded for a job, if its failure was the safety layer's decision."""
    return (
        SafetyEvent.objects.filter(job_id=job_id, outcome=SafetyEvent.Outcome.REFUSED).order_by("-id").first()
    )


def refused_job_ids(job_ids: list[int]) -> set[int]:
    """Those of the jobs that the safety layer refused."""
    if not job_ids:
        return set()
    refused = SafetyEvent.objects.filter(job_id__in=job_ids, outcome=SafetyEvent.Outcome.REFUSED)
    return set(refused.values_list("job_id", flat=True))
