"""Accessibility of the key pages, checked in a real browser with axe-core against WCAG 2 A and AA.

Children aged 6-18 use the platform on tablets, some with special educational needs and assistive
technology; a "serious" or "critical" finding (a button without a name, text too faint to read, a field
without a label) stops someone from taking part, so none is allowed. axe-core comes from npm
(`npm ci`, a dev dependency in package.json); without it the tests are skipped, except in CI.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
DEMO_PASSWORD = "aigc-demo-2024"
# Model entries whose weights are never loaded: rendering the studios only reads the list, and with models
# listed they show their full forms (and the site-wide test-model notice) instead of "ask your teacher".
MODELS_TOML = """
[[models]]
name = "image-tiny"
kind = "image"
backend = "diffusers"
path = "{folder}/image"
languages = ["en", "zh-Hans", "zh-Hant"]
test_model = true
defaults = {{ steps = 2, guidance = 5.0, size = "64x64", scheduler = "euler" }}

[[models]]
name = "text-tiny"
kind = "text"
backend = "transformers"
path = "{folder}/text"
languages = ["en", "zh-Hans", "zh-Hant"]
test_model = true
"""
BLOCKING = {"serious", "critical"}


@pytest.fixture
def axe_source() -> str:
    if not AXE.exists():
        message = f"axe-core is not installed at {AXE} (run `npm ci` in the project folder)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return AXE.read_text(encoding="utf-8")


@dataclass
class Finding:
    page: str
    rule: str
    impact: str
    help: str
    targets: list[str]

    def __str__(self) -> str:
        return f"{self.page}: [{self.impact}] {self.rule} - {self.help}\n    at {', '.join(self.targets[:6])}"


def audit(page: Any, axe_source: str, label: str) -> list[Finding]:
    """Run axe-core on the page as it is now; return its serious and critical WCAG 2 A/AA violations."""
    page.wait_for_load_state("load")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source)  # through the DevTools protocol: the page's CSP allows no inline script
    result = page.evaluate(
        "async () => (await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']},"
        " resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(' '))}))"
    )
    return [Finding(label, v["id"], v["impact"] or "", v["help"], v["targets"]) for v in result
            if v["impact"] in BLOCKING]  # fmt: skip


def sign_in(page: Any, base: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, f"sign-in as {username} failed"


def visit(page: Any, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url} answered {response and response.status}"


@pytest.fixture
def listed_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    models = tmp_path / "models.toml"
    models.write_text(MODELS_TOML.format(folder=tmp_path.as_posix()), encoding="utf-8")
    monkeypatch.setenv("AIGC_MODELS_FILE", str(models))
    return models


def fail_on(findings: list[Finding]) -> None:
    if findings:
        pytest.fail(f"{len(findings)} serious or critical accessibility violations:\n"
                    + "\n".join(str(f) for f in findings), pytrace=False)  # fmt: skip


def test_key_pages_have_no_serious_violations(
    live_server: Any,
    demo: list[Any],
    chromium_page: Any,
    axe_source: str,
    make_user: Any,
    listed_models: Path,
) -> None:
    from aigc_contest.web.accounts.models import User
    from aigc_contest.web.certificates.services import issue_certificate
    from aigc_contest.web.contests.models import Competition
    from aigc_contest.web.entries import services as entry_services
    from aigc_contest.web.entries.models import Entry
    from aigc_contest.web.judging.models import Assignment

    page, base = chromium_page, live_server.url
    findings: list[Finding] = []

    def check(label: str, url: str) -> None:
        visit(page, f"{base}{url}")
        assert page.locator("html").get_attribute("lang") == "en", f"{label}: <html lang> is not en"
        findings.extend(audit(page, axe_source, label))

    hk = Competition.objects.get(slug="hk-inter-school-aigc")
    mei = User.objects.get(username="p.mei")
    # Fresh drafts in new teams (one entry per team and category), so that the studios open on their start pages.
    primary_category, sen_category = hk.categories.get(slug="primary"), hk.categories.get(slug="sen")
    kai = make_user("p.kai", "student", mei.school)
    # a new SEN student (the demo's own SEN students already have teams in the SEN category)
    joy = make_user("sen.kit", "student", User.objects.get(username="teacher.sen").school, needs_support=True)
    book_team = entry_services.create_team(
        User.objects.get(username="teacher.primary"), primary_category, name="Moon Makers", members=[kai]
    )
    picture_team = entry_services.create_team(
        User.objects.get(username="teacher.sen"), sen_category, name="Blue Fish", members=[joy]
    )
    book = entry_services.start_entry(
        kai, book_team, title="Moon Cake Rocket", work_type="storybook", theme=hk.themes.first()
    )
    picture = entry_services.start_entry(joy, picture_team, title="My Blue Fish", work_type="image")
    novel = Entry.objects.get(title="Choices on the Star Ferry")
    submitted_book = Entry.objects.get(title="The Dragon Who Loved Dim Sum")
    certificate = issue_certificate(mei, hk, team=submitted_book.team)

    # Anyone
    check("home", "/")
    # The skip link is the first stop for the keyboard, and its focus ring is drawn.
    page.keyboard.press("Tab")
    ring = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [document.activeElement.className, s.outlineStyle, s.outlineWidth, s.boxShadow] }"
    )
    assert ring[0] == "skip-link" and ring[1] == "solid" and ring[2] == "3px" and ring[3] != "none", ring
    check("competition", f"/competitions/{hk.slug}/")
    check("login", "/accounts/login/")
    page.fill("#id_username", "p.mei")
    page.fill("#id_password", "not the password")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    # The error is tied to the fields it is about, so a screen reader reads it with them.
    assert page.locator("#id_password").get_attribute("aria-invalid") == "true"
    error_id = page.locator("#id_password").get_attribute("aria-describedby")
    assert page.locator(f"#{error_id}").inner_text().startswith("Your login name and password did not match")
    findings.extend(audit(page, axe_source, "login with an error"))
    check("verify certificate", f"/verify/{certificate.uuid}")
    # A primary student
    sign_in(page, base, "p.mei")
    check("my entries", "/me/")
    check("entry (submitted storybook)", f"/entries/{submitted_book.pk}/")
    check("jobs", "/jobs/")
    sign_in(page, base, "p.kai", "pw-12345678")  # made by the make_user fixture
    check("entry (draft storybook)", f"/entries/{book.pk}/")
    check("storybook studio start", f"/storybooks/entries/{book.pk}/")
    # A secondary student's interactive novel
    sign_in(page, base, "s.hoi")
    check("novel studio start", f"/studio/entries/{novel.pk}/")
    # An SEN student's picture
    sign_in(page, base, "sen.kit", "pw-12345678")  # made by the make_user fixture
    check("image studio", f"/studio/image/entries/{picture.pk}/")
    page.locator("#make-button").click()  # nothing written: the form comes back with its error
    page.wait_for_load_state()
    assert page.locator("#id_prompt").get_attribute("aria-invalid") == "true"
    described_by = page.locator("#id_prompt").get_attribute("aria-describedby")
    assert "Please write what you would like to see." in page.locator(f"#{described_by}").inner_text()
    findings.extend(audit(page, axe_source, "image studio with an error"))
    # The SEN school's teacher
    sign_in(page, base, "teacher.sen")
    check("school", "/school/")
    check("moderation", "/school/moderation/")
    # A judge
    sign_in(page, base, "judge1")
    check("judge home", "/judging/")
    assignment = Assignment.objects.filter(judge__username="judge1").order_by("pk").first()
    assert assignment is not None, "the demo gives judge1 entries to score"
    check("scoring", f"/judging/assignments/{assignment.pk}/")

    fail_on(findings)


def test_pages_in_traditional_chinese(
    live_server: Any, demo: list[Any], chromium_page: Any, axe_source: str
) -> None:
    from aigc_contest.web.entries.models import Entry

    page, base = chromium_page, live_server.url
    findings: list[Finding] = []
    entry = Entry.objects.get(title="My Happy Garden")

    def check(label: str, url: str) -> None:
        visit(page, f"{base}{url}")
        assert page.locator("html").get_attribute("lang") == "zh-Hant", f"{label}: <html lang> is not zh-Hant"
        findings.extend(audit(page, axe_source, label))

    sign_in(page, base, "sen.bo")
    # Each language's name in the switcher is marked with its own language.
    assert page.locator("#language-select option[value=zh-hant]").get_attribute("lang") == "zh-hant"
    page.select_option("#language-select", "zh-hant")
    page.locator("form.lang-switch button[type=submit]").click()
    page.wait_for_load_state()
    check("home (zh-Hant)", "/")
    check("entry (zh-Hant)", f"/entries/{entry.pk}/")
    assert "My Happy Garden" in page.locator("main h1").inner_text()
    fail_on(findings)


def test_the_set_up_pages_have_no_serious_violations(
    live_server: Any, chromium_page: Any, axe_source: str, make_user: Any, make_competition: Any
) -> None:
    from aigc_contest.web.contests.roles_services import make_creator_owner

    competition, _category, _theme = make_competition("city-2031")
    make_creator_owner(make_user("organiser.a11y", "organiser"), competition)  # set-up is per competition
    page, base = chromium_page, live_server.url
    sign_in(page, base, "organiser.a11y", "pw-12345678")  # made by the make_user fixture
    findings: list[Finding] = []
    pages = {"organiser home": "/organiser/", "new competition": "/organiser/competitions/new/"}
    for step in ("", "themes/", "categories/", "rubric/", "clone/"):
        pages[f"set-up {step or 'details'}"] = f"/organiser/{competition.slug}/setup/{step}"
    for label, url in pages.items():
        visit(page, f"{base}{url}")
        findings.extend(audit(page, axe_source, label))
    # A refused rubric (weights that do not total 100 %): the errors stand with their fields.
    visit(page, f"{base}/organiser/{competition.slug}/setup/rubric/")
    page.fill("#id_criteria-0-key", "creativity")
    page.fill("#id_criteria-0-name_en", "Creativity")
    page.fill("#id_criteria-0-weight", "90")
    page.get_by_role("button", name="Save rubric").click()
    page.wait_for_load_state()
    assert page.locator("#id_criteria-0-weight").get_attribute("aria-invalid") == "true"
    findings.extend(audit(page, axe_source, "rubric with an error"))
    fail_on(findings)


def test_the_application_editor_has_no_serious_violations(
    live_server: Any, chromium_page: Any, axe_source: str, make_user: Any, make_competition: Any, make_school: Any
) -> None:
    from aigc_contest.web.entries import services

    _competition, category, theme = make_competition("wukong-a11y", work_types=("application",))
    school = make_school("school-a11y")
    teacher = make_user("teacher.a11y", "teacher", school)
    student = make_user("maker.a11y", "student", school)
    team = services.create_team(teacher, category, name="Inkbots", members=[student])
    entry = services.start_entry(student, team, title="Ink Helper", work_type="application", theme=theme)
    page, base = chromium_page, live_server.url
    sign_in(page, base, "maker.a11y", "pw-12345678")
    findings: list[Finding] = []
    visit(page, f"{base}/applications/entries/{entry.pk}/")
    findings.extend(audit(page, axe_source, "application editor"))
    page.fill("#id_name", "Ink Helper")
    page.fill("#id_demo_url", "http://not-https.example.org/")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert page.locator("#id_demo_url").get_attribute("aria-invalid") == "true"
    findings.extend(audit(page, axe_source, "application editor with an error"))
    fail_on(findings)


def test_the_studio_editors_have_no_serious_violations(
    live_server: Any, chromium_page: Any, axe_source: str, make_user: Any, make_competition: Any,
    make_school: Any, listed_models: Path, settings: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The storybook editor as a book (pages, pictures, the new-picture chooser, the read-only view) and
    the novel editor with a defect marked and the play-test running."""
    import copy

    from aigc_contest.web.entries import services as entry_services
    from aigc_contest.web.jobs import runner
    from aigc_contest.web.storybooks.views import new_picture
    from aigc_contest.web.works import services
    from aigc_contest.web.works.kinds.novel_starter import starter_novel
    from aigc_contest.web.works.models import Work, WorkKind
    from aigc_contest.works.storybook import pipeline
    from storybooks.fakes import FakeGenerator

    class FakeWriter(FakeGenerator):  # pages written at once; pictures drawn as plain colours
        model_name = pipeline.Generator.model_name
        image_size = pipeline.Generator.image_size

    monkeypatch.setattr(pipeline, "Generator", FakeWriter)
    monkeypatch.setattr("aigc_contest.generation.service.generate_image_batch",
                        lambda requests, **kw: [FakeGenerator().images(r) for r in requests])  # fmt: skip
    settings.AIGC_JOBS = {**settings.AIGC_JOBS, "wake_workers": False, "batch_window_seconds": 0.0, "quotas": {}}

    def run_jobs() -> None:
        for _ in range(6):
            done = runner.run_available("gpu") + runner.run_available("default")
            for work in Work.objects.all():
                services.sync(work)
            if not done:
                return

    _competition, category, theme = make_competition("studio-a11y", work_types=("storybook", "novel"))
    school = make_school("school-studio-a11y")
    teacher = make_user("teacher.studio", "teacher", school)
    student = make_user("maker.studio", "student", school)
    book_team = entry_services.create_team(teacher, category, name="Page Turners", members=[student])
    book_entry = entry_services.start_entry(student, book_team, title="Moon Garden", work_type="storybook",
                                            theme=theme)  # fmt: skip
    book = services.start(student, book_entry, WorkKind.STORYBOOK, exists_ok=False, theme="A moon garden",
                          pages=3, style="crayon", seed=3)  # fmt: skip
    run_jobs()
    page, base = chromium_page, live_server.url
    findings: list[Finding] = []
    sign_in(page, base, "maker.studio", "pw-12345678")
    visit(page, f"{base}/storybooks/books/{book.pk}/")
    assert page.locator("article.sb-spread").count() == 3
    findings.extend(audit(page, axe_source, "storybook editor (the book)"))
    new_picture(student, Work.objects.get(pk=book.pk), "p2")
    visit(page, f"{base}/storybooks/books/{book.pk}/")
    findings.extend(audit(page, axe_source, "storybook editor (a picture being drawn)"))
    run_jobs()
    visit(page, f"{base}/storybooks/books/{book.pk}/")
    assert page.get_by_test_id("picture-chooser").count() == 1
    findings.extend(audit(page, axe_source, "storybook editor (choosing a new picture)"))
    sign_in(page, base, "teacher.studio", "pw-12345678")
    visit(page, f"{base}/storybooks/books/{book.pk}/view/")
    findings.extend(audit(page, axe_source, "storybook (read-only book)"))

    # The novel editor with a defect: a part with no choices that is not an ending.
    writer = make_user("writer.studio", "student", school)
    novel_team = entry_services.create_team(teacher, category, name="Story Owls", members=[writer])
    novel_entry = entry_services.start_entry(writer, novel_team, title="Owl Night", work_type="novel", theme=theme)
    story = copy.deepcopy(starter_novel("en", "Owl Night"))
    story["nodes"][2]["choices"] = []
    services.start(writer, novel_entry, WorkKind.NOVEL, document=story)
    sign_in(page, base, "writer.studio", "pw-12345678")
    visit(page, f"{base}/studio/entries/{novel_entry.pk}/")
    dead_end = page.get_by_test_id("checks").locator("li[data-code=dead-end] button")
    dead_end.click()
    assert page.locator("#node-ending").get_attribute("aria-invalid") == "true"
    findings.extend(audit(page, axe_source, "novel editor with a defect"))
    page.get_by_role("button", name="Play-test the story").click()
    page.get_by_test_id("play-vars").wait_for(state="attached")
    page.frame_locator("#playtest").get_by_role("button").first.wait_for()
    findings.extend(audit(page, axe_source, "novel editor play-testing"))
    fail_on(findings)
