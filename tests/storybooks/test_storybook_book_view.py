"""The storybook editor as a book: spreads with the picture beside the words, new pictures offered where
the old one is (kept until the child picks), progress in a child's words, and pages reordered with the
revision check (dragged, or moved up and down without JavaScript)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import run_jobs
from .fakes import FakeGenerator

pytestmark = pytest.mark.django_db


@pytest.fixture
def drawn_book(book_setup, jobs_inline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:  # type: ignore[no-untyped-def]
    """A 3-page book whose pages and pictures are made at once (no model weights)."""
    from aigc_contest.web.works import services
    from aigc_contest.web.works.models import WorkKind
    from aigc_contest.works.storybook import pipeline

    class FakeWriter(FakeGenerator):
        model_name = pipeline.Generator.model_name
        image_size = pipeline.Generator.image_size

    monkeypatch.setattr(pipeline, "Generator", FakeWriter)
    models = tmp_path / "models.toml"
    models.write_text('[[models]]\nname = "image-fake"\nkind = "image"\nbackend = "diffusers"\n'
                      f'path = "{(tmp_path / "none").as_posix()}"\n')  # fmt: skip
    monkeypatch.setenv("AIGC_MODELS_FILE", str(models))
    monkeypatch.setattr("aigc_contest.generation.service.generate_image_batch",
                        lambda requests, **kw: [FakeGenerator().images(r) for r in requests])  # fmt: skip
    work = services.start(book_setup.student, book_setup.entry, WorkKind.STORYBOOK, exists_ok=False,
                          theme="A greener city", brief="a robot gardener", pages=3, style="crayon", seed=3)  # fmt: skip
    run_jobs()
    work.refresh_from_db()
    return work


def test_the_editor_is_the_book_with_progress_in_a_childs_words(client, book_setup, drawn_book) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.storybooks.views import new_picture, pictures_summary

    client.force_login(book_setup.student)
    html = client.get(f"/storybooks/books/{drawn_book.pk}/").content.decode()
    assert len(re.findall(r'<article class="sb-spread', html)) == 3
    # Each spread: the large picture, then the page's words in an editable box, in the same article.
    spread = re.search(r'<article class="sb-spread"[^>]*id="page-p2".*?</article>', html, re.S).group(0)
    assert 'data-testid="page-picture"' in spread and 'width="512"' in spread
    assert 'class="sb-page-text"' in spread and "Page 2 text." in spread
    assert 'form="text-form-p2"' in spread  # the picture's description saves with the words
    assert "3 of 3 pictures drawn" in html
    # A new picture being drawn: the progress names the page by its number, never by its id or job.
    new_picture(book_setup.student, drawn_book, "p2")
    status = client.get(f"/storybooks/books/{drawn_book.pk}/status/").json()
    text = re.sub(r"<[^>]+>", " ", status["html"])
    assert "Drawing the picture for page 2" in text and "3 of 3 pictures drawn, 1 being drawn now" in text
    for internal in ("p2", "storybook.text", "picture ·", "page_text"):
        assert internal not in text, internal
    assert pictures_summary(3, 8, 1) == "3 of 8 pictures drawn, 1 being drawn now"
    assert pictures_summary(1, 1, 0) == "1 of 1 picture drawn"


def test_a_new_picture_waits_beside_the_old_one_until_the_child_picks(client, book_setup, drawn_book,
                                                                      monkeypatch) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    from aigc_contest.web.storybooks.views import new_picture
    from aigc_contest.web.works import services
    from aigc_contest.web.works.kinds import storybook

    old = storybook.book_of(drawn_book).page("p2").image
    new_picture(book_setup.student, drawn_book, "p2")
    run_jobs()
    drawn_book.refresh_from_db()
    assert storybook.book_of(drawn_book).page("p2").image == old  # the old one stays
    client.force_login(book_setup.student)
    html = client.get(f"/storybooks/books/{drawn_book.pk}/").content.decode()
    spread = re.search(r'<article class="sb-spread[^"]*"[^>]*id="page-p2".*?</article>', html, re.S).group(0)
    assert 'data-testid="picture-chooser"' in spread and "Which one do you want to keep?" in spread
    assert "Keep the old picture" in spread and "Keep the new picture" in spread
    assert 'data-testid="page-picture"' not in spread  # the chooser stands where the picture was
    assert html.count('data-testid="picture-chooser"') == 1
    new_index = re.search(r'name="index" value="(\d+)">\s*<img[^>]*data-testid="new-picture"', spread).group(1)
    # Keeping the new one goes through the works services (the picture is checked again there).
    picks: list[Any] = []
    pick = services.pick_picture
    monkeypatch.setattr(services, "pick_picture", lambda *a, **kw: picks.append(kw) or pick(*a, **kw))
    response = client.post(f"/storybooks/books/{drawn_book.pk}/edit/", {"op": "keep", "page": "p2", "index": new_index})
    assert response.status_code == 302
    drawn_book.refresh_from_db()
    page = storybook.book_of(drawn_book).page("p2")
    assert page.image == page.candidates[int(new_index)] and page.image != old
    assert [p["target"] for p in picks] == ["p2"] and picks[0]["asset_pk"] == page.image.provenance["asset"]
    html = client.get(f"/storybooks/books/{drawn_book.pk}/").content.decode()
    assert 'data-testid="picture-chooser"' not in html and "Earlier pictures" in html

    # Again, and this time keep the old one: nothing changes but the question goes away.
    new_picture(book_setup.student, drawn_book, "p2")
    run_jobs()
    drawn_book.refresh_from_db()
    before = storybook.book_of(drawn_book).page("p2").image
    assert 'data-testid="picture-chooser"' in client.get(f"/storybooks/books/{drawn_book.pk}/").content.decode()
    client.post(f"/storybooks/books/{drawn_book.pk}/edit/", {"op": "keep", "page": "p2", "index": ""})
    drawn_book.refresh_from_db()
    assert storybook.book_of(drawn_book).page("p2").image == before
    assert 'data-testid="picture-chooser"' not in client.get(f"/storybooks/books/{drawn_book.pk}/").content.decode()


def test_pages_reorder_with_the_revision_check(client, book_setup, drawn_book) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.works.kinds import storybook

    client.force_login(book_setup.teammate)
    url = f"/storybooks/books/{drawn_book.pk}/edit/"
    revision = drawn_book.revision
    # Dragged (storybook.js sends the whole order).
    answer = client.post(url, {"op": "order", "order": "p3,p1,p2", "revision": revision},
                         HTTP_X_REQUESTED_WITH="fetch").json()  # fmt: skip
    drawn_book.refresh_from_db()
    assert answer == {"ok": True, "revision": revision + 1}
    assert [p.id for p in storybook.book_of(drawn_book).pages] == ["p3", "p1", "p2"]
    # An order made on an older book is refused, and nothing moves.
    stale = client.post(url, {"op": "order", "order": "p1,p2,p3", "revision": revision},
                        HTTP_X_REQUESTED_WITH="fetch")  # fmt: skip
    assert stale.status_code == 409 and "please move the page again" in stale.json()["message"]
    assert client.post(url, {"op": "order", "order": "p1,p2", "revision": revision + 1},
                       HTTP_X_REQUESTED_WITH="fetch").status_code == 400  # fmt: skip
    drawn_book.refresh_from_db()
    assert [p.id for p in storybook.book_of(drawn_book).pages] == ["p3", "p1", "p2"]
    # The keyboard's way, without JavaScript: the Move up/down forms carry the revision they were shown at.
    html = client.get(f"/storybooks/books/{drawn_book.pk}/").content.decode()
    assert f'name="revision" value="{drawn_book.revision}"' in html and "Move page 3 up" in html
    response = client.post(url, {"op": "move", "page": "p2", "offset": "-1", "revision": drawn_book.revision})
    assert response.status_code == 302 and response.url.endswith("#page-p2")
    drawn_book.refresh_from_db()
    assert [p.id for p in storybook.book_of(drawn_book).pages] == ["p3", "p2", "p1"]
    client.post(url, {"op": "move", "page": "p3", "offset": "1", "revision": drawn_book.revision - 1})
    drawn_book.refresh_from_db()
    assert [p.id for p in storybook.book_of(drawn_book).pages] == ["p3", "p2", "p1"]
    messages = [str(m) for m in client.get(f"/storybooks/books/{drawn_book.pk}/").context["messages"]]
    assert any("please move the page again" in m for m in messages)


def _sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-12345678")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_pages_are_dragged_moved_by_keyboard_and_a_new_picture_is_chosen(
    live_server: Any, book_setup: Any, drawn_book: Any, chromium_page: Any
) -> None:
    from playwright.sync_api import expect

    from aigc_contest.web.works.kinds import storybook

    def order() -> list[str]:
        drawn_book.refresh_from_db()
        return [p.id for p in storybook.book_of(drawn_book).pages]

    page = chromium_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, live_server.url, book_setup.student.username)
    page.goto(f"{live_server.url}/storybooks/books/{drawn_book.pk}/")
    spreads = page.locator("article.sb-spread")
    expect(spreads).to_have_count(3)
    expect(page.locator("#sb-drag-help")).to_contain_text("Drag a page by its handle")

    # Drag page 3 by its handle above page 1.
    page.set_viewport_size({"width": 1280, "height": 3600})  # both pages in view at once
    page.locator("#page-p3 .sb-handle").drag_to(page.locator("#page-p1 .sb-spread-head"),
                                                target_position={"x": 5, "y": 2})  # fmt: skip
    expect(spreads.first).to_have_attribute("data-page-id", "p3")
    expect(page.locator("#page-p3 h3")).to_have_text("Page 1")  # renumbered from the server
    assert order() == ["p3", "p1", "p2"]

    # The keyboard's way: Move down, without leaving the page; the focus stays with the page.
    page.get_by_role("button", name="Move page 1 down").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#page-p3 h3")).to_have_text("Page 2")
    assert order() == ["p1", "p3", "p2"]
    assert page.evaluate("document.activeElement.closest('article').id") == "page-p3"

    # A new picture: the old one stays until the child picks, then the new one is the page's picture.
    page.get_by_role("button", name="New picture for page 3").click()
    page.wait_for_load_state()
    expect(page.get_by_test_id("now")).to_contain_text("Drawing the picture for page 3")
    old = storybook.book_of(drawn_book).page("p2").image
    run_jobs()
    chooser = page.locator("#page-p2").get_by_test_id("picture-chooser")
    expect(chooser).to_be_visible(timeout=20_000)  # storybook.js brings it in without a reload
    chooser.get_by_role("button", name="Keep the new picture").click()
    page.wait_for_load_state()
    expect(page.locator("#page-p2").get_by_test_id("page-picture")).to_be_visible()
    drawn_book.refresh_from_db()
    kept = storybook.book_of(drawn_book).page("p2").image
    assert kept is not None and kept != old
    assert errors == []
