"""The time rule: an organiser types and reads every timeline time in the competition's own zone; every
time shown names its zone, with the viewer's own time beside it; storing and editing never move an instant.

The competition here is a Hong Kong one whose deadline an organiser typed as 30 October 2031, 23:59.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from html import unescape
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client

pytestmark = pytest.mark.django_db

HK = ZoneInfo("Asia/Hong_Kong")
DAY = date(2031, 10, 30)
# 23:59 typed in Hong Kong lasts to the end of that minute: 15:59:59.999999 UTC.
DEADLINE_UTC = datetime(2031, 10, 30, 15, 59, 59, 999_999, tzinfo=UTC)


# --- the rule itself ------------------------------------------------------------------------------------


def test_a_deadline_typed_to_the_minute_lasts_to_the_end_of_that_minute() -> None:
    from aigc_contest.web.contests.timeline import typed

    assert typed(DAY, "23:59", HK, "submission_deadline") == DEADLINE_UTC
    assert typed(DAY, "09:00", HK, "submission_opens_at") == datetime(2031, 10, 30, 1, 0, tzinfo=UTC)
    # Seconds typed: exactly that instant, for deadlines too.
    assert typed(DAY, "23:59:30", HK, "submission_deadline") == datetime(2031, 10, 30, 15, 59, 30, tzinfo=UTC)
    assert typed(DAY, "23:59:30.25", HK, "results_at") == datetime(
        2031, 10, 30, 15, 59, 30, 250_000, tzinfo=UTC
    )


@pytest.mark.parametrize("edge", ["start", "end"])
@pytest.mark.parametrize("local", [
    datetime(2031, 10, 30, 23, 59, 59, 999_999), datetime(2031, 10, 30, 23, 59, 59, 999_000),
    datetime(2031, 10, 30, 23, 59), datetime(2031, 10, 30, 0, 0), datetime(2031, 10, 30, 12, 34, 56, 789_012),
    datetime(2031, 10, 30, 12, 34, 56),
])  # fmt: skip
def test_what_the_organiser_reads_gives_the_same_instant_back(local: datetime, edge: str) -> None:
    from aigc_contest.web.contests.timeline import Edge, instant_from_typed, typed_clock

    edge = Edge(edge)
    instant = local.replace(tzinfo=HK)
    day, clock = typed_clock(instant, HK, edge)
    assert instant_from_typed(date.fromisoformat(day), clock, HK, edge) == instant


def test_readable_times_are_to_the_minute() -> None:
    from aigc_contest.web.contests.timeline import Edge, typed_clock

    assert typed_clock(DEADLINE_UTC, HK, Edge.END) == ("2031-10-30", "23:59")
    assert typed_clock(datetime(2031, 10, 30, 1, 0, tzinfo=UTC), HK, Edge.START) == ("2031-10-30", "09:00")


def test_clock_changes_are_refused_with_words() -> None:
    from aigc_contest.web.contests.timeline import TypedTimeError, typed

    london = ZoneInfo("Europe/London")
    with pytest.raises(TypedTimeError, match="does not exist"):
        typed(date(2031, 3, 30), "01:30", london, "submission_deadline")
    with pytest.raises(TypedTimeError, match="happens twice"):
        typed(date(2031, 10, 26), "01:30", london, "submission_deadline")
    with pytest.raises(TypedTimeError, match="not a time"):
        typed(DAY, "half past", HK, "submission_deadline")


# --- fixtures ---------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _language_back_to_default() -> Any:
    """Pages asked for in Chinese leave Chinese active in this thread; later tests expect the default."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture
def hk(world: Any) -> Any:
    """The world's competition in Hong Kong with a timeline typed by the organiser (all in the future)."""
    c = world.competition
    c.timezone = "Asia/Hong_Kong"
    c.registration_opens_at = datetime(2031, 9, 20, 9, 0, tzinfo=HK)
    c.submission_opens_at = datetime(2031, 9, 30, 9, 0, tzinfo=HK)
    c.submission_deadline = DEADLINE_UTC  # typed "23:59"
    c.judging_starts_at = datetime(2031, 10, 31, 0, 0, tzinfo=HK)
    c.results_at = datetime(2031, 11, 13, 10, 0, tzinfo=HK)
    c.ceremony_at = None
    c.save()
    return c


def _client(user: Any, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _admin(world: Any) -> Client:
    world.organiser.is_staff = world.organiser.is_superuser = True
    world.organiser.save()
    return _client(world.organiser)


class _FormValues(HTMLParser):
    """What a browser would send back for the page's competition form, untouched."""

    def __init__(self) -> None:
        super().__init__()
        self.values: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name")
        if tag == "input" and name and a.get("type", "text") not in {"submit", "button", "file"}:
            if a.get("type") in {"checkbox", "radio"}:
                if "checked" in a:
                    self.values.append((name, a.get("value", "on")))
            else:
                self.values.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.values.append((self._select, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.values.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None


def _form_data(html: str) -> dict[str, list[str]]:
    form = html[html.index('id="competition_form"') :]
    form = form[: form.index("</form>")]
    parser = _FormValues()
    parser.feed(form)
    data: dict[str, list[str]] = {}
    for name, value in parser.values:
        data.setdefault(name, []).append(value)
    return data


TIMELINE = [
    "registration_opens_at",
    "submission_opens_at",
    "submission_deadline",
    "judging_starts_at",
    "results_at",
    "ceremony_at",
]


def _instants(competition: Any) -> dict[str, datetime | None]:
    competition.refresh_from_db()
    return {name: getattr(competition, name) for name in TIMELINE}


EMPTY_INLINES = {
    f"{prefix}-{key}": value
    for prefix in ("themes", "categories", "criteria")
    for key, value in (
        ("TOTAL_FORMS", "0"),
        ("INITIAL_FORMS", "0"),
        ("MIN_NUM_FORMS", "0"),
        ("MAX_NUM_FORMS", "1000"),
    )
}


# --- 1. organisers type times in the competition's zone ---------------------------------------------------


def test_the_admin_reads_typed_times_in_the_competitions_zone(world: Any) -> None:
    from aigc_contest.web.contests.models import Competition

    client = _admin(world)
    response = client.post("/admin/contests/competition/add/", {
        "slug": "hk-2031", "name_en": "HK 2031", "timezone": "Asia/Hong_Kong", "is_public": "on",
        "registration_opens_at_0": "2031-09-20", "registration_opens_at_1": "09:00",
        "submission_opens_at_0": "2031-10-01", "submission_opens_at_1": "09:00",
        "submission_deadline_0": "2031-10-30", "submission_deadline_1": "23:59",
        "judging_starts_at_0": "2031-10-31", "judging_starts_at_1": "00:00",
        "results_at_0": "2031-11-13", "results_at_1": "10:00",
        "ceremony_at_0": "", "ceremony_at_1": "", **EMPTY_INLINES,
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    created = Competition.objects.get(slug="hk-2031")
    assert created.submission_deadline == DEADLINE_UTC
    assert created.registration_opens_at == datetime(2031, 9, 20, 1, 0, tzinfo=UTC)
    assert created.ceremony_at is None
    # Read back: the organiser sees what was typed, and the zone's name.
    change = client.get(f"/admin/contests/competition/{created.pk}/change/").content.decode()
    assert 'name="submission_deadline_1" value="23:59"' in change
    assert 'name="submission_deadline_0" value="2031-10-30"' in change
    assert "Asia/Hong_Kong" in change
    # The admin's own "Now" shortcut counts from the competition's clock (UTC+8), not the server's.
    assert 'data-admin-utc-offset="28800"' in change
    # The form says which zone it is, on the add form too.
    add = client.get("/admin/contests/competition/add/").content.decode()
    assert "On the competition's clock: Asia/Hong_Kong." in unescape(add)


def test_the_zone_typed_in_the_same_form_is_the_zone_of_its_times(world: Any) -> None:
    from aigc_contest.web.contests.models import Competition

    response = _admin(world).post("/admin/contests/competition/add/", {
        "slug": "ldn", "name_en": "London", "timezone": "Europe/London",
        "registration_opens_at_0": "2031-06-01", "registration_opens_at_1": "09:00",
        "submission_opens_at_0": "2031-06-01", "submission_opens_at_1": "09:00",
        "submission_deadline_0": "2031-07-01", "submission_deadline_1": "12:00",
        "judging_starts_at_0": "2031-07-02", "judging_starts_at_1": "09:00",
        "results_at_0": "2031-07-20", "results_at_1": "09:00", **EMPTY_INLINES,
    })  # fmt: skip
    assert response.status_code == 302
    # 12:00 British Summer Time is 11:00 UTC; the minute lasts to its end.
    assert Competition.objects.get(slug="ldn").submission_deadline == datetime(
        2031, 7, 1, 11, 0, 59, 999_999, tzinfo=UTC
    )


# --- 3. editing never moves an instant ---------------------------------------------------------------------


def test_saving_the_admin_form_untouched_keeps_every_instant(world: Any, hk: Any) -> None:
    # Instants as the rule makes them, and odd ones (older data, a legacy millisecond deadline).
    hk.results_at = hk.results_at.replace(microsecond=123_456)
    hk.ceremony_at = datetime(2031, 11, 29, 15, 0, 7, tzinfo=HK)
    hk.save()
    before = _instants(hk)
    client = _admin(world)
    url = f"/admin/contests/competition/{hk.pk}/change/"
    data = _form_data(client.get(url).content.decode())
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert _instants(hk) == before
    assert hk.submission_deadline == DEADLINE_UTC
    assert data["submission_deadline_1"] == ["23:59"]  # what the organiser read: the minute typed

    # The old demo's deadline, 23:59:59.999 (milliseconds): kept to the microsecond too.
    hk.submission_deadline = datetime(2031, 10, 30, 23, 59, 59, 999_000, tzinfo=HK)
    hk.save()
    before = _instants(hk)
    data = _form_data(client.get(url).content.decode())
    assert client.post(url, data).status_code == 302
    assert _instants(hk) == before
    assert data["submission_deadline_1"] == ["23:59:59.999000"]


def test_changing_only_the_zone_keeps_every_instant_and_says_how_the_deadline_now_reads(
    world: Any, hk: Any
) -> None:
    before = _instants(hk)
    client = _admin(world)
    url = f"/admin/contests/competition/{hk.pk}/change/"
    data = _form_data(client.get(url).content.decode())
    data["timezone"] = ["Europe/London"]
    response = client.post(url, data, follow=True)
    assert response.redirect_chain, response.content.decode()[:3000]
    hk.refresh_from_db()
    assert hk.timezone == "Europe/London"
    assert _instants(hk) == before
    assert hk.submission_deadline == DEADLINE_UTC
    # London is on GMT by 30 October 2031: the same moment reads 15:59 there.
    assert (
        "The timeline kept its moments; on the Europe/London clock the submission deadline is now 2031-10-30 15:59."
        in unescape(response.content.decode())
    )
    # The admin now shows the kept instants on the new clock.
    change = client.get(url).content.decode()
    assert 'name="submission_deadline_1" value="15:59"' in change
    assert "On the competition's clock: Europe/London." in unescape(change)


def test_changing_the_zone_and_a_time_reads_the_typed_time_on_the_new_clock(world: Any, hk: Any) -> None:
    before = _instants(hk)
    client = _admin(world)
    url = f"/admin/contests/competition/{hk.pk}/change/"
    data = _form_data(client.get(url).content.decode())
    data["timezone"] = ["Europe/London"]
    data["submission_deadline_1"] = ["12:00"]
    response = client.post(url, data, follow=True)
    assert response.redirect_chain, response.content.decode()[:3000]
    after = _instants(hk)
    # 12:00 on the London clock (GMT) lasts to the end of that minute; the untouched times keep their moments.
    assert after["submission_deadline"] == datetime(2031, 10, 30, 12, 0, 59, 999_999, tzinfo=UTC)
    assert {k: v for k, v in after.items() if k != "submission_deadline"} == {
        k: v for k, v in before.items() if k != "submission_deadline"
    }
    assert "the submission deadline is now 2031-10-30 12:00." in unescape(response.content.decode())


def test_a_submission_in_the_last_second_of_a_23_59_deadline_counts(world: Any, hk: Any) -> None:
    from aigc_contest.web.entries import services

    hk.submission_opens_at = datetime(2000, 1, 1, tzinfo=UTC)
    hk.registration_opens_at = hk.submission_opens_at
    hk.save()
    last_second = datetime(2031, 10, 30, 23, 59, 59, 900_000, tzinfo=HK)
    assert services.submit_entry(world.student_a, world.entry, now=last_second).number == 1


def test_the_api_gives_the_stored_instant_in_iso_8601(world: Any, hk: Any) -> None:
    body = Client().get(f"/api/v1/competitions/{hk.slug}").json()
    assert datetime.fromisoformat(body["submission_deadline"].replace("Z", "+00:00")) == DEADLINE_UTC
    assert body["timezone"] == "Asia/Hong_Kong"


def test_demo_data_follows_the_rule() -> None:
    from aigc_contest.web import demo
    from aigc_contest.web.contests.timeline import Edge
    from aigc_contest.web.contests.timeline import typed_clock as clock

    # The demo's deadline is typed "23:59" through the rule, so the admin shows it to the minute.
    timeline = demo._timeline(demo.HK, DAY, submission_deadline=(0, "23:59"), results_at=(14, "10:00"))
    assert timeline["submission_deadline"] == DEADLINE_UTC
    assert clock(timeline["results_at"], demo.HK, Edge.START) == ("2031-11-13", "10:00")


# --- 2. pages, lists, e-mails and certificates show the zone they claim -----------------------------------


def _text(html: str) -> str:
    """The page's words (no tags, no attributes): what a reader without JavaScript sees."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_competition_page_shows_hong_kong_times_under_its_hong_kong_heading(world: Any, hk: Any) -> None:
    html = Client().get(f"/competitions/{hk.slug}/").content.decode()
    text = _text(html)
    assert "Submission deadline 2031-10-30 23:59 Asia/Hong_Kong" in text  # the timeline row
    assert "15:59" not in text  # the UTC clock is nowhere in the words
    # The countdown's place without JavaScript: the deadline on the competition's clock, and the time left.
    box = _text(html[html.index('data-testid="deadline"') :][:1500])
    assert "2031-10-30 23:59 Asia/Hong_Kong" in box and "Time left to submit" in box
    # The instant for the viewer's own time, filled in by countdown.js.
    assert (
        '<time datetime="2031-10-30T15:59:59.999Z" data-zone="Asia/Hong_Kong">2031-10-30 23:59 Asia/Hong_Kong</time>'
        in html
    )
    assert 'data-viewer-time data-label="Your time"' in html


def test_without_script_the_page_promises_no_local_times(world: Any, hk: Any) -> None:
    html = Client().get(f"/competitions/{hk.slug}/").content.decode()
    # The promise of a local time beside each is only in an element the script reveals; the rest is plain.
    promise = re.search(r"<p [^>]*>[^<]*your own local time[^<]*</p>", html)
    assert promise and " hidden" in promise[0] and "data-with-viewer-time" in promise[0]
    assert re.search(r"<p class=\"muted\" data-without-viewer-time>Times in Asia/Hong_Kong.</p>", html)
    assert "<script>" not in html  # no inline script: the CSP allows none


def test_every_page_with_the_deadline_names_its_zone(world: Any, hk: Any) -> None:
    student = _client(world.student_a)
    for url in ["/", "/me/", f"/entries/{world.entry.pk}/"]:
        text = _text(student.get(url).content.decode())
        assert "2031-10-30 23:59 Asia/Hong_Kong" in text, url
        assert "15:59" not in text and " UTC" not in text, url


def test_the_embargo_notice_gives_the_announcement_on_the_competitions_clock(world: Any, hk: Any) -> None:
    winners = _text(Client().get(f"/competitions/{hk.slug}/winners/").content.decode())
    assert "until 2031-11-13 10:00 Asia/Hong_Kong" in winners
    assert "02:00" not in winners
    organiser = _text(_client(world.organiser).get(f"/organiser/{hk.slug}/judging/").content.decode())
    assert "Results stay hidden from everyone until 2031-11-13 10:00 Asia/Hong_Kong" in organiser


def test_changes_made_by_others_are_on_the_competitions_clock_in_words(world: Any, hk: Any) -> None:
    from aigc_contest.web.accounts.models import ChangeRecord
    from aigc_contest.web.accounts.services import record_change

    at = datetime(2031, 10, 3, 9, 14, tzinfo=UTC)  # 17:14 in Hong Kong
    for action in ("change", "add", "delete", "some future code"):
        record = record_change(world.organiser, world.entry, action, via=ChangeRecord.Via.ADMIN)
        ChangeRecord.objects.filter(pk=record.pk).update(at=at)
    site = record_change(world.organiser, world.entry, "another future code")
    ChangeRecord.objects.filter(pk=site.pk).update(at=at)
    page = _client(world.student_a).get(f"/entries/{world.entry.pk}/").content.decode()
    changes = page[page.index('data-testid="helper-changes"') :]
    changes = unescape(changes[: changes.index("</ul>")])
    assert "2031-10-03 17:14 Asia/Hong_Kong" in _text(changes)
    assert 'datetime="2031-10-03T09:14:00.000Z"' in changes and "data-viewer-time" in changes
    assert "UTC" not in _text(changes)
    items = sorted(_text(li).strip() for li in re.findall(r"<li>(.*?)</li>", changes, re.S))
    who = str(world.organiser)
    assert [item.split(" — ", 1)[1] for item in items] == sorted(
        f"{who} {phrase}"
        for phrase in ("changed it in the back office", "added it in the back office", "deleted it in the back office",
                       "changed it in the back office", "made a change")
    )  # fmt: skip


def test_the_admin_lists_show_times_on_the_competitions_clock(world: Any, hk: Any) -> None:
    client = _admin(world)
    text = _text(client.get("/admin/contests/competition/").content.decode())
    assert "2031-10-30 23:59 Asia/Hong_Kong" in text
    assert "2031-11-13 10:00 Asia/Hong_Kong" in text
    # Entries: changed and submitted on their competition's clock.
    from aigc_contest.web.entries import services

    hk.submission_opens_at = hk.registration_opens_at = datetime(2000, 1, 1, tzinfo=UTC)
    hk.save()
    services.submit_entry(
        world.student_a, world.entry, now=datetime(2031, 10, 30, 23, 0, 1, 250_000, tzinfo=HK)
    )
    assert "Asia/Hong_Kong" in _text(client.get("/admin/entries/entry/").content.decode())
    change = _text(client.get(f"/admin/entries/entry/{world.entry.pk}/change/").content.decode())
    assert "2031-10-30 23:00:01.250 Asia/Hong_Kong" in change


def test_emails_give_the_competitions_clock_and_utc(world: Any, hk: Any) -> None:
    from aigc_contest.web.notifications import emails as notifications

    world.teacher_a.email = "teacher@example.org"
    world.teacher_a.save()
    mail.outbox.clear()
    assert notifications.deadline_reminder(hk, [world.entry]) == 1
    assert "Deadline: 2031-10-30 23:59 Asia/Hong_Kong (2031-10-30 15:59 UTC)" in mail.outbox[0].body


def test_the_receipt_gives_the_submission_time_on_the_competitions_clock(world: Any, hk: Any) -> None:
    from aigc_contest.web.entries import services
    from aigc_contest.web.notifications import emails as notifications

    hk.submission_opens_at = hk.registration_opens_at = datetime(2000, 1, 1, tzinfo=UTC)
    hk.save()
    version = services.submit_entry(
        world.student_a, world.entry, now=datetime(2031, 10, 30, 23, 0, 1, 250_000, tzinfo=HK)
    )
    version.refresh_from_db()
    _subject, body = notifications.render_message("submission_receipt", {"version": version, "entry": world.entry,
                                                                  "team": world.entry.team})  # fmt: skip
    assert "Submitted at: 2031-10-30 23:00:01.250 Asia/Hong_Kong (2031-10-30 15:00:01.250 UTC)" in body


def test_certificate_dates_are_the_competitions_dates(world: Any, hk: Any) -> None:
    from aigc_contest.web.certificates.models import Certificate

    # 17:00 UTC on the 13th is already the 14th in Hong Kong.
    cert = Certificate.objects.create(competition=hk, user=world.student_a, kind="participation", pdf="c.pdf",
                                      sha256="0" * 64, issued_at=datetime(2031, 11, 13, 17, 0, tzinfo=UTC))  # fmt: skip
    verify = _text(Client().get(f"/verify/{cert.uuid}").content.decode())
    assert "2031-11-14 Asia/Hong_Kong" in verify and "2031-11-13" not in verify
    mine = _text(_client(world.student_a).get("/certificates/").content.decode())
    assert "2031-11-14 Asia/Hong_Kong" in mine


# --- 4. Chinese stage names in the right tense ------------------------------------------------------------


def test_a_future_announcement_is_not_written_as_done_in_chinese(world: Any, hk: Any) -> None:
    for language, done, to_come in [
        ("zh-hant", "已公布結果", "公布結果"),
        ("zh-hans", "已公布结果", "公布结果"),
    ]:
        html = Client(HTTP_ACCEPT_LANGUAGE=language).get(f"/competitions/{hk.slug}/").content.decode()
        table = html[html.index('class="timeline"') :]
        table = table[: table.index("</table>")]
        assert done not in table, language
        assert to_come in table, language


def test_a_time_that_names_no_instant_is_refused_in_the_form_with_words(world: Any, hk: Any) -> None:
    client = _admin(world)
    url = f"/admin/contests/competition/{hk.pk}/change/"
    data = _form_data(client.get(url).content.decode())
    data["submission_deadline_1"] = ["half past"]
    page = unescape(client.post(url, data).content.decode())
    assert "“half past” is not a time: type hours and minutes, such as 23:59." in page
    assert _instants(hk)["submission_deadline"] == DEADLINE_UTC  # nothing saved
