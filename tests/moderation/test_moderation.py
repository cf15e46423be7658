"""The safety audit log, the teachers' review queue and each school's own safety settings."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from aigc_contest.safety import DEFAULT_POLICY, SafetyRefusal, SafetyVerdict, check_text
from aigc_contest.web.moderation import selectors, services
from aigc_contest.web.moderation.models import SafetyEvent, SchoolSafetyPolicy

pytestmark = pytest.mark.django_db

QUEUE = "/school/moderation/"


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _refuse(user: Any, text: str) -> SafetyEvent:
    verdict = check_text(text, selectors.policy_for(user))
    assert not verdict.allowed
    event = services.record_verdict(user, "prompt", verdict, text)
    assert event is not None
    return event


# ---------------------------------------------------------------- recording


def test_refused_and_flagged_verdicts_are_kept_allowed_ones_are_not(world: Any) -> None:
    assert services.record_verdict(world.student_a, "prompt", SafetyVerdict.ok(), "a cat") is None
    event = _refuse(world.student_a, "how to " + "x" * 400 + " massacre")
    assert (event.user, event.school, event.outcome, event.category, event.layer) == (
        world.student_a, world.school_a, "refused", "violence", "keywords")
    assert event.matched == ["massacre"] and len(event.excerpt) == 300
    flagged = services.record_verdict(
        world.student_a, "generated_image", SafetyVerdict.ok(layer="image_nsfw", score=0.4, needs_review=True),
        "never kept for pictures", data=b"\x89PNG...",
    )
    assert flagged.outcome == "needs_review" and flagged.excerpt == "" and len(flagged.content_sha256) == 64
    assert services.record_verdict(None, "upload", SafetyVerdict.refused("nsfw_image", "image_nsfw")).user is None


def test_job_refusals_are_recorded_with_their_job(world: Any, settings: Any) -> None:
    from aigc_contest.web.jobs import kinds, runner
    from aigc_contest.web.jobs.services import submit_job

    def refuse(contexts, progress):  # type: ignore[no-untyped-def]
        verdict = SafetyVerdict.refused("profanity", "keywords", score=1.0, matched=["rude"])
        return [SafetyRefusal(verdict), RuntimeError("not a refusal")][: len(contexts)]

    kinds.register(kinds.JobKind("test.moderation.refuse", refuse, queue="moderation-test"))
    settings.AIGC_JOBS = {**settings.AIGC_JOBS, "wake_workers": False, "batch_window_seconds": 0.0}
    job = submit_job(world.student_a, "test.moderation.refuse", {"prompt": "a nice text"})
    runner.run_available("moderation-test")
    job.refresh_from_db()
    assert job.status == "failed"
    event = SafetyEvent.objects.get()
    assert (event.job, event.user, event.where, event.category) == (job, world.student_a, "generated_text", "profanity")
    assert services.record_job_refusal(job.pk, RuntimeError("boom")) is None


# ---------------------------------------------------------------- per-school policy


def test_school_policy_changes_a_verdict_for_that_schools_students_only(world: Any) -> None:
    assert selectors.policy_for(world.student_a) is DEFAULT_POLICY
    assert check_text("a unicorn", selectors.policy_for(world.student_a)).allowed
    services.update_school_policy(world.teacher_a, world.school_a, extra_blocked_terms="unicorn\n\n",
                                  allowed_terms="massacre", nsfw_threshold=0.4)
    policy = selectors.policy_for(world.student_a)
    assert (policy.extra_blocked_terms, policy.allowed_terms, policy.nsfw_threshold) == (("unicorn",), ("massacre",), 0.4)
    assert policy.nsfw_review_threshold <= 0.4
    assert check_text("a unicorn", policy).category == "custom"
    assert check_text("the massacre memorial", policy).allowed
    assert not check_text("the massacre memorial", selectors.policy_for(world.student_b)).allowed
    assert check_text("a unicorn", selectors.policy_for(world.student_b)).allowed


def test_teachers_may_only_make_pictures_stricter_and_only_at_their_school(world: Any) -> None:
    from aigc_contest.web.core.errors import PermissionDenied, ServiceError

    with pytest.raises(ServiceError, match="stricter"):
        services.update_school_policy(world.teacher_a, world.school_a, extra_blocked_terms="", allowed_terms="",
                                      nsfw_threshold=0.9)
    with pytest.raises(PermissionDenied):
        services.update_school_policy(world.teacher_b, world.school_a, extra_blocked_terms="x", allowed_terms="",
                                      nsfw_threshold=0.5)
    with pytest.raises(PermissionDenied):
        services.update_school_policy(world.student_a, world.school_a, extra_blocked_terms="x", allowed_terms="",
                                      nsfw_threshold=0.5)
    row = services.update_school_policy(world.organiser, world.school_a, extra_blocked_terms="", allowed_terms="",
                                        nsfw_threshold=0.9)
    assert row.nsfw_threshold == 0.9


# ---------------------------------------------------------------- the review page


@pytest.mark.parametrize(("who", "status"), [("student_a", 403), ("judge", 403), ("teacher_a", 200), ("organiser", 200)])
def test_who_may_open_the_review_queue(world: Any, who: str, status: int) -> None:
    assert _client(getattr(world, who)).get(QUEUE).status_code == status


def test_anonymous_is_sent_to_sign_in() -> None:
    response = Client().get(QUEUE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_teachers_see_their_school_organisers_see_all(world: Any) -> None:
    mine, theirs = _refuse(world.student_a, "a massacre"), _refuse(world.student_b, "一个人在屠杀村民")
    teacher_page = _client(world.teacher_a).get(QUEUE).content.decode()
    assert f'id="event-{mine.pk}"' in teacher_page and f'id="event-{theirs.pk}"' not in teacher_page
    assert "Matched: massacre" in teacher_page  # teachers see what fired
    organiser_page = _client(world.organiser).get(QUEUE).content.decode()
    assert f'id="event-{mine.pk}"' in organiser_page and f'id="event-{theirs.pk}"' in organiser_page
    assert list(selectors.events_for(world.student_a)) == []
    nav = _client(world.teacher_a).get("/").content.decode()
    assert 'href="/school/moderation/"' in nav
    assert 'href="/school/moderation/"' not in _client(world.student_a).get("/").content.decode()


def test_review_flow_keep_blocked_and_approve_with_allowed_words(world: Any) -> None:
    kept, approved = _refuse(world.student_a, "a massacre"), _refuse(world.student_a, "a gore poster")
    teacher = _client(world.teacher_a)
    # another school's teacher and a student cannot review
    assert _client(world.teacher_b).post(f"{QUEUE}events/{kept.pk}/review/", {"decision": "approved"}).status_code == 403
    assert _client(world.student_a).post(f"{QUEUE}events/{kept.pk}/review/", {"decision": "approved"}).status_code == 403

    response = teacher.post(f"{QUEUE}events/{kept.pk}/review/", {"decision": "kept_blocked", "note": "talked to her"})
    assert response.status_code == 302
    kept.refresh_from_db()
    assert (kept.decision, kept.reviewed_by, kept.note) == ("kept_blocked", world.teacher_a, "talked to her")
    assert kept.reviewed_at is not None

    assert not check_text("a gore poster", selectors.policy_for(world.student_a)).allowed
    teacher.post(f"{QUEUE}events/{approved.pk}/review/", {"decision": "approved", "allow_terms": "on"})
    approved.refresh_from_db()
    assert approved.decision == "approved"
    assert SchoolSafetyPolicy.objects.get(school=world.school_a).allowed_terms == "gore"
    assert check_text("a gore poster", selectors.policy_for(world.student_a)).allowed

    waiting = teacher.get(QUEUE).content.decode()
    assert f'id="event-{kept.pk}"' not in waiting  # reviewed events leave the waiting list
    assert f'id="event-{kept.pk}"' in teacher.get(f"{QUEUE}?show=reviewed").content.decode()
    bad = teacher.post(f"{QUEUE}events/{kept.pk}/review/", {"decision": "delete"}, follow=True)
    assert "Choose approve or keep blocked." in bad.content.decode()


def test_teacher_edits_school_settings_on_the_page(world: Any) -> None:
    teacher = _client(world.teacher_a)
    page = teacher.get(QUEUE).content.decode()
    assert 'name="extra_blocked_terms"' in page
    response = teacher.post(f"{QUEUE}policy/", {"extra_blocked_terms": "dragon\nzombie", "allowed_terms": "",
                                                "nsfw_threshold": "0.5"})
    assert response.status_code == 302
    assert not check_text("a zombie", selectors.policy_for(world.student_a)).allowed
    refused = teacher.post(f"{QUEUE}policy/", {"extra_blocked_terms": "", "allowed_terms": "", "nsfw_threshold": "2"},
                           follow=True)
    assert "Ensure this value is less than or equal to 0.95." in refused.content.decode()
    assert _client(world.student_a).post(f"{QUEUE}policy/", {"nsfw_threshold": "0.5"}).status_code == 403
    assert 'name="extra_blocked_terms"' not in _client(world.organiser).get(QUEUE).content.decode()


def test_admin_registration(world: Any) -> None:
    world.organiser.is_staff = world.organiser.is_superuser = True
    world.organiser.save()
    _refuse(world.student_a, "a massacre")
    client = _client(world.organiser)
    assert client.get("/admin/moderation/safetyevent/").status_code == 200
    assert client.get("/admin/moderation/schoolsafetypolicy/add/").status_code == 200


def test_a_broken_audit_log_never_stops_the_worker(world: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from aigc_contest.web.jobs import kinds, runner
    from aigc_contest.web.jobs.services import submit_job

    def refuse(contexts, progress):  # type: ignore[no-untyped-def]
        return [SafetyRefusal(SafetyVerdict.refused("hate", "keywords"))] * len(contexts)

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("database gone")

    kinds.register(kinds.JobKind("test.moderation.refuse2", refuse, queue="moderation-test2"))
    settings.AIGC_JOBS = {**settings.AIGC_JOBS, "wake_workers": False, "batch_window_seconds": 0.0}
    monkeypatch.setattr(SafetyEvent.objects, "create", broken)
    job = submit_job(world.student_a, "test.moderation.refuse2", {})
    assert runner.run_available("moderation-test2") == 1
    job.refresh_from_db()
    assert job.status == "failed" and "kind to everyone" in job.error
