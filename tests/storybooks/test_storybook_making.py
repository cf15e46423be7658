"""How a storybook was made, as a judge reads it: the studio's own jobs, the pictures kept, the pages the team
rewrote against the AI's draft."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import run_jobs
from .test_storybook_web import _start, fake_writer, image_only_models  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


@pytest.mark.ml
def test_the_timeline_counts_generations_kept_pictures_and_rewrites(
    book_setup: Any, jobs_inline: Any, fake_writer: Any, image_only_models: Any  # noqa: F811
) -> None:
    from aigc_contest.web.judging.making import making_of
    from aigc_contest.web.works import services
    from aigc_contest.web.works.kinds import storybook

    assert making_of(book_setup.entry) is None  # nothing made in the studio yet
    work = _start(book_setup, pages=2)
    run_jobs()
    work.refresh_from_db()
    book = storybook.book_of(work)
    assert book is not None
    ai_first_page = book.pages[0].text
    rewritten = book.edit_page(book.pages[1].id, text="We wrote this page ourselves, every single word of it!")
    document = {**work.document, "book": rewritten.model_dump(mode="json")}
    services.save(book_setup.student, work, document=document, revision=work.revision)

    timeline = making_of(book_setup.entry)
    assert timeline is not None
    assert timeline.texts_generated == 3  # outline, characters, pages
    assert timeline.pictures_generated == 2 and timeline.models["image-tiny"] == 2
    assert sum(kept for kept, _n in timeline.pictures_kept.values()) == 2
    changes = {r.target: r.changed for r in timeline.rewrites}
    assert changes["page 1"] == 0.0 and changes["page 2"] > 0.5
    assert [r.target for r in timeline.rewritten_parts] == ["page 2"]
    sentences = " ".join(timeline.sentences())
    assert "Generated 3 texts and 2 pictures" in sentences and "Rewrote 1 of 2 texts" in sentences
    assert ai_first_page  # the AI's draft was there to compare with
