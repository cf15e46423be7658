"""`storybook create` runs the whole pipeline with the tiny random-weight models (gibberish, but
schema-valid): a book of N pages, resumable, and one page regenerated alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.ml


@pytest.mark.slow
def test_cli_create_writes_a_book_folder_and_resumes(storybook_models_file: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    from aigc_contest.cli.main import main
    from aigc_contest.generation.registry import load_registry
    from aigc_contest.works.storybook import pipeline
    from aigc_contest.works.storybook.model import load_book

    monkeypatch.setenv("AIGC_MODELS_FILE", str(storybook_models_file))
    out = tmp_path / "book"
    args = ["storybook", "create", "--theme", "a kite festival", "--lang", "en", "--pages", "2", "--seed", "5",
            "--model", "text-tiny", "--image-model", "image-tiny", "--out", str(out), "--json"]  # fmt: skip
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["pages"] == 2 and summary["pictures"] == 2 and summary["missing_pictures"] == []
    book, folder = load_book(out)
    assert len(book.pages) == 2 and all(page.text for page in book.pages)
    for page in book.pages:
        assert page.image and (folder / page.image.path).read_bytes().startswith(b"\x89PNG")
        assert page.image.provenance["model"] == "image-tiny" and page.image.provenance["is_test_model"]
    assert (out / "plan.json").is_file()

    # One page written again by the tiny model: the other page stays exactly as it was.
    generator = pipeline.Generator(load_registry(storybook_models_file))
    rewritten = pipeline.regenerate_page_text(book, "p2", generator, seed=7)
    assert rewritten.page("p1") == book.page("p1") and rewritten.page("p2").image == book.page("p2").image

    # Resume: one picture is gone (e.g. an interrupted run); the same command draws only that one.
    page = book.pages[1]
    edited = book.model_copy(update={"pages": [book.pages[0], page.model_copy(update={"image": None, "candidates": []})]})
    (out / "book.json").write_text(edited.model_dump_json(), encoding="utf-8")
    assert main(args) == 0
    resumed, _ = load_book(out)
    assert resumed.pages[0] == book.pages[0] and resumed.pages[1].image is not None
    assert resumed.pages[1].text == book.pages[1].text  # no text was written again

    # Other settings in the same folder are refused with a message, not overwritten.
    assert main([*args[:-3], "--pages", "3", "--out", str(out)]) == 1
    assert "other settings" in capsys.readouterr().err
    assert main(["storybook", "export", str(out), "--format", "pdf", "--out", str(tmp_path / "b.pdf")]) == 0
    assert (tmp_path / "b.pdf").read_bytes().startswith(b"%PDF")


def test_cli_create_rejects_bad_settings_in_a_subprocess(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "aigc_contest.cli.main", "storybook", "create", "--theme", "x", "--lang", "en",
         "--pages", "0", "--out", str(tmp_path / "b")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "pages" in done.stderr and "Traceback" not in done.stderr
