"""Simple steps for students who need learning support: one step per screen, the idea screened like on
the full page, a picture chosen with one big button, and "Are you sure?" before sending and taking back.
No hashes, seeds, model names or file words on any screen."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from aigc_contest.web.jobs import runner
from aigc_contest.web.jobs.models import Job
from aigc_contest.web.moderation.models import SafetyEvent

pytestmark = pytest.mark.django_db
TECHNICAL = re.compile(r"SHA-256|sha256|seed|image-tiny|draft|version|job|prompt\b", re.IGNORECASE)


def _client(user: Any, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _visible(html: str) -> str:
    """The screen's own text as read (inside <main>, without the markup: ids and URLs are not read)."""
    html = html[html.index("<main") : html.index("</main>")]
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def _base(entry: Any) -> str:
    return f"/studio/image/entries/{entry.pk}/simple/"


def test_support_students_find_the_simple_steps(image_setup: Any, image_models: Any) -> None:
    entry = image_setup.entry
    page = _client(image_setup.student).get(f"/entries/{entry.pk}/").content.decode()
    assert f'href="{_base(entry)}"' in page
    assert (
        'data-testid="simple-steps-link"'
        not in _client(image_setup.teammate).get(f"/entries/{entry.pk}/").content.decode()
    )
    start = _client(image_setup.student).get(_base(entry))
    assert start.status_code == 302 and start["Location"].endswith("/simple/idea/")


@pytest.mark.parametrize("who", ["classmate", "other_teacher", "judge", "organiser"])
def test_only_the_team_may_use_them(image_setup: Any, image_models: Any, who: str) -> None:
    assert _client(getattr(image_setup, who)).get(_base(image_setup.entry) + "idea/").status_code == 403


def test_idea_screen_in_traditional_chinese(image_setup: Any, image_models: Any) -> None:
    html = _client(image_setup.student, "zh-HK").get(_base(image_setup.entry) + "idea/").content.decode()
    assert 'aria-current="step"' in html and "一隻貓" in html and 'data-target="id_prompt"' in html
    assert not TECHNICAL.search(_visible(html)), TECHNICAL.search(_visible(html))


def test_unsafe_idea_is_refused_kindly(image_setup: Any, image_models: Any) -> None:
    response = _client(image_setup.student).post(
        _base(image_setup.entry) + "idea/", {"prompt": "a naked person"}
    )
    html = response.content.decode()
    assert response.status_code == 400 and 'data-testid="refusal"' in html and "naked" not in html
    assert SafetyEvent.objects.filter(user=image_setup.student, outcome="refused").count() == 1
    assert not Job.objects.exists()


def test_empty_idea_asks_for_words(image_setup: Any, image_models: Any) -> None:
    response = _client(image_setup.student).post(_base(image_setup.entry) + "idea/", {"prompt": "  "})
    assert (
        response.status_code == 400
        and "Please write what you would like to see." in response.content.decode()
    )


@pytest.mark.ml
def test_make_choose_check_send_and_take_back(
    image_setup: Any, image_models: Any, jobs_in_process: Any
) -> None:
    entry, client = image_setup.entry, _client(image_setup.student)
    made = client.post(_base(entry) + "idea/", {"prompt": "一隻貓，看書，在公園，開心"})
    job = Job.objects.get()
    assert made.status_code == 302 and made["Location"] == f"{_base(entry)}pictures/{job.pk}/"
    assert job.params["n"] == 2 and job.params["prompt"] == "一隻貓，看書，在公園，開心"
    waiting = client.get(made["Location"]).content.decode()
    assert 'id="waiting"' in waiting and not TECHNICAL.search(_visible(waiting))
    assert client.get(f"{made['Location']}progress/").json() == {"final": False, "percent": 0}

    assert runner.run_available("gpu") == 1
    assert client.get(f"{made['Location']}progress/").json()["final"] is True
    choose = client.get(made["Location"]).content.decode()
    assets = re.findall(r'name="asset" value="(\d+)"', choose)
    assert len(assets) == 2 and "Use picture 2" in choose and not TECHNICAL.search(_visible(choose))

    picked = client.post(made["Location"], {"asset": assets[1]})
    assert picked.status_code == 302 and picked["Location"] == _base(entry) + "check/"
    entry.refresh_from_db()
    assert entry.draft_file and entry.status == "draft"
    check = client.get(_base(entry) + "check/").content.decode()
    assert "一隻貓，看書，在公園，開心" in check and entry.draft_file_sha256[:16] not in check
    assert not TECHNICAL.search(_visible(check))

    confirm = client.get(
        _base(entry) + "send/"
    ).content.decode()  # "Are you sure?" first: nothing is sent yet
    entry.refresh_from_db()
    assert (
        entry.status == "draft"
        and 'data-testid="confirm-yes"' in confirm
        and 'data-testid="confirm-no"' in confirm
    )
    sent = client.post(_base(entry) + "send/")
    assert sent["Location"] == _base(entry) + "sent/"
    entry.refresh_from_db()
    assert entry.status == "submitted" and entry.versions.count() == 1
    done = client.get(_base(entry) + "sent/").content.decode()
    assert "Your picture has been sent!" in done and not TECHNICAL.search(_visible(done))
    assert client.get(_base(entry))["Location"] == _base(entry) + "sent/"

    assert 'data-testid="confirm-yes"' in client.get(_base(entry) + "take-back/").content.decode()
    entry.refresh_from_db()
    assert entry.status == "submitted"
    back = client.post(_base(entry) + "take-back/")
    assert back["Location"] == _base(entry) + "check/"
    entry.refresh_from_db()
    assert entry.status == "withdrawn" and entry.draft_file


@pytest.mark.ml
def test_someone_elses_pictures_cannot_be_chosen(
    image_setup: Any, image_models: Any, jobs_in_process: Any
) -> None:
    from aigc_contest.web.jobs.services import submit_job

    job = submit_job(
        image_setup.other_student,
        "image",
        {"model": "image-tiny", "prompt": "a cat", "width": 64, "height": 64},
    )
    assert (
        _client(image_setup.student).get(f"{_base(image_setup.entry)}pictures/{job.pk}/").status_code == 403
    )
