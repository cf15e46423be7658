"""The guard model in the web layer, end to end: a guard in the models file (an OpenAI-compatible server on
loopback) screens a child's prompt in a view; self-harm gets the kind path in three scripts and the school's
safety contact is told privately; controversial content waits in the teacher's queue; age bands apply."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from tests.generation.fake_servers import FakeOpenAI

from aigc_contest.safety import check_text
from aigc_contest.web.jobs.models import Job
from aigc_contest.web.moderation import selectors, services
from aigc_contest.web.moderation.models import SafetyEvent, SchoolSafetyPolicy

pytestmark = pytest.mark.django_db

SELF_HARM = "Safety: Unsafe\nCategories: Suicide & Self-Harm"
CONTROVERSIAL = "Safety: Controversial\nCategories: Violent"
NEW_PICTURE = "/jobs/new-picture/"
QUEUE = "/school/moderation/"


@pytest.fixture
def guard_server(tmp_path: Any, monkeypatch: pytest.MonkeyPatch, settings: Any):  # type: ignore[no-untyped-def]
    """A Qwen3Guard-style guard on loopback, named in the models file as the only model."""
    settings.AIGC_JOBS = {**settings.AIGC_JOBS, "wake_workers": False, "batch_window_seconds": 0.0}
    with FakeOpenAI(api_key="sk-guard", default=SELF_HARM) as server:
        models = tmp_path / "models.toml"
        models.write_text(
            '[[models]]\nname = "pictures"\nkind = "image"\nbackend = "diffusers"\npath = "/nowhere"\n\n'
            '[[models]]\nname = "guard"\nkind = "guard"\nbackend = "openai"\nid = "Qwen3Guard-Gen-4B"\n'
            f'base_url = "{server.base_url}"\napi_key_env = "GUARD_KEY"\n',
            encoding="utf-8",
        )
        monkeypatch.setenv("GUARD_KEY", "sk-guard")
        monkeypatch.setenv("AIGC_MODELS_FILE", str(models))
        yield server


def _client(user: Any, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _safety_settings(world: Any) -> SchoolSafetyPolicy:
    return SchoolSafetyPolicy.objects.create(
        school=world.school_a,
        safety_contact_email="wellbeing@school-a.example.org",
        help_resources="Youth Helpline | 0000 0000 | https://help.example.org\nSchool social worker | Room 101",
    )


@pytest.mark.parametrize(
    ("prompt", "language", "kind_words"),
    [
        ("a picture of me sleeping forever so the sadness stops", "en", "adult you trust"),
        ("畫一個我永遠睡著、不再難過的樣子", "zh-hant", "你信任的大人"),
        ("画一个我永远睡着、不再难过的样子", "zh-hans", "你信任的大人"),
    ],
)
def test_self_harm_prompt_gets_the_kind_path_and_tells_the_schools_contact_privately(
    world: Any, guard_server: FakeOpenAI, prompt: str, language: str, kind_words: str
) -> None:
    _safety_settings(world)
    page = _client(world.student_a, language).post(NEW_PICTURE, {"prompt": prompt}, follow=True)
    text = page.content.decode()
    assert kind_words in text
    assert "Youth Helpline · 0000 0000 · https://help.example.org" in text
    assert "School social worker · Room 101" in text
    assert prompt not in text
    offline = check_text(prompt)  # without the guard
    if offline.allowed:  # the guard is asked when the offline layers let the prompt through
        assert guard_server.chat_bodies[-1]["messages"] == [{"role": "user", "content": prompt}]
    else:  # the offline classifier refused it first, and named self-harm: the same kind path
        assert offline.category == "self_harm"

    event = SafetyEvent.objects.get()
    assert (event.category, event.layer, event.outcome, event.school, event.user) == (
        "self_harm",
        "guard" if offline.allowed else offline.layer,
        "refused",
        world.school_a,
        world.student_a,
    )
    assert not Job.objects.filter(kind="image").exists()  # nothing was made

    mail = Job.objects.get(kind="email")
    assert mail.params["recipients"] == ["wellbeing@school-a.example.org"]
    body = mail.params["subject"] + mail.params["body"]
    assert "may need support" in body and QUEUE in body
    for private in (prompt, world.student_a.username, str(world.student_a)):
        assert private not in body  # the e-mail names no one and repeats nothing
    assert mail.owner == world.teacher_a  # never listed among the child's jobs

    # Visible to the school's teachers only: not to other schools, not to organisers, not to students.
    assert list(selectors.events_for(world.teacher_a)) == [event]
    assert list(selectors.events_for(world.teacher_b)) == []
    assert list(selectors.events_for(world.organiser, show="all")) == []
    assert list(selectors.events_for(world.student_a2, show="all")) == []
    assert _client(world.student_a2).get(QUEUE).status_code == 403
    assert prompt not in _client(world.teacher_b).get(QUEUE + "?show=all").content.decode()
    assert prompt not in _client(world.organiser).get(QUEUE + "?show=all").content.decode()
    assert prompt in _client(world.teacher_a).get(QUEUE).content.decode()
    assert not world.organiser.has_perm("moderation.review_event", event)
    assert world.teacher_a.has_perm("moderation.review_event", event)

    # A second try soon after is recorded, but the contact is not written to again.
    _client(world.student_a, language).post(NEW_PICTURE, {"prompt": prompt})
    assert SafetyEvent.objects.count() == 2 and Job.objects.filter(kind="email").count() == 1


def test_without_a_contact_the_kind_message_still_shows_and_no_mail_is_queued(
    world: Any, guard_server: FakeOpenAI
) -> None:
    page = _client(world.student_b).post(NEW_PICTURE, {"prompt": "I wish I could disappear"}, follow=True)
    text = page.content.decode()
    assert "adult you trust" in text and "social worker" in text
    assert SafetyEvent.objects.get().category == "self_harm"
    assert not Job.objects.filter(kind="email").exists()


def test_controversial_prompt_waits_in_the_teachers_queue_and_the_child_is_told_what_happens(
    world: Any, guard_server: FakeOpenAI
) -> None:
    guard_server.default = CONTROVERSIAL
    page = _client(world.student_a).post(NEW_PICTURE, {"prompt": "two knights in a sword fight"}, follow=True)
    assert "A teacher will look at this first" in page.content.decode()
    event = SafetyEvent.objects.get()
    assert (event.outcome, event.category, event.layer) == ("needs_review", "violence", "guard")
    assert list(selectors.events_for(world.teacher_a)) == [event]  # waiting for review
    assert list(selectors.events_for(world.organiser)) == [event]  # not private: organisers see it too
    assert not Job.objects.filter(kind="image").exists()
    assert not Job.objects.filter(kind="email").exists()
    services.review_event(world.teacher_a, event, decision="approved")
    assert list(selectors.events_for(world.teacher_a)) == []

    # Once approved, exactly that prompt goes through (in the view and, with the policy, in the worker) ...
    _client(world.student_a).post(NEW_PICTURE, {"prompt": "two knights in a sword fight"})
    job = Job.objects.get(kind="image")
    assert job.params["safety_policy"]["approved_sha256"] == [event.content_sha256]
    from aigc_contest.generation.guards import attach_guards
    from aigc_contest.safety import check_text
    from aigc_contest.web.jobs.kinds import safety_policy_of

    worker_policy = attach_guards(safety_policy_of(job.params))
    assert check_text("two knights in a sword fight", worker_policy).allowed
    # ... but another prompt is held again, and another child's same prompt too.
    assert not check_text("two knights in a sword fight, more blood", worker_policy).allowed
    assert not check_text("two knights in a sword fight", selectors.policy_for(world.student_a2)).allowed


def test_the_age_band_comes_from_grade_and_school(world: Any, guard_server: FakeOpenAI) -> None:
    guard_server.default = CONTROVERSIAL
    world.student_a.grade = "S5"
    world.student_a.save()
    world.school_a.level = "secondary"
    world.school_a.save()
    assert selectors.policy_for(world.student_a).age_band == "senior_secondary"
    _client(world.student_a).post(NEW_PICTURE, {"prompt": "two knights in a sword fight"})
    assert Job.objects.filter(kind="image").exists()  # senior secondary: a controversial battle is fine
    assert not SafetyEvent.objects.exists()
    job = Job.objects.get(kind="image")
    assert job.params["safety_policy"]["age_band"] == "senior_secondary"  # travels to the worker

    world.student_b.grade = "P3"
    world.student_b.save()
    assert selectors.policy_for(world.student_b).age_band == "primary"
    assert selectors.policy_for(world.teacher_a).age_band == "adult"


def test_school_rules_override_the_defaults(world: Any, guard_server: FakeOpenAI) -> None:
    guard_server.default = CONTROVERSIAL
    SchoolSafetyPolicy.objects.create(
        school=world.school_a, tier_overrides={"violence": {"primary": {"controversial": "allow"}}}
    )
    _client(world.student_a).post(NEW_PICTURE, {"prompt": "two knights in a sword fight"})
    assert Job.objects.filter(kind="image").exists()
    bad = SchoolSafetyPolicy(
        school=world.school_b, tier_overrides={"violence": {"primary": {"controversial": "maybe"}}}
    )
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        bad.clean()
