"""`aigc-contest judging duplicates FOLDER --out PAIRS.csv`."""

from __future__ import annotations

import csv
import json

from opencc import OpenCC
from PIL import Image, ImageDraw

from aigc_contest.cli.main import main

TEXT = (
    "小兔子住在森林的边上，它每天都会去看望住在大树下的老乌龟。老乌龟知道很多故事，"
    "常常给小兔子讲森林里发生过的事情。有一天，小兔子问老乌龟，为什么天上的星星会眨眼睛。"
)


def _picture(seed: int) -> Image.Image:
    import numpy as np

    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (120, 96), tuple(int(c) for c in rng.integers(0, 256, 3)))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = int(rng.integers(0, 120)), int(rng.integers(0, 96))
        draw.ellipse([x - 25, y - 18, x + 25, y + 18], fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    return image


def test_duplicates_writes_the_contract_csv(tmp_path, capsys):
    folder = tmp_path / "entries"
    (folder / "team2").mkdir(parents=True)
    _picture(1).save(folder / "a.png")
    _picture(1).save(folder / "team2" / "a-copy.jpg", quality=60)
    _picture(2).save(folder / "b.webp")
    _picture(3).save(folder / "c.png")
    (folder / "story.txt").write_text(TEXT, encoding="utf-8")
    (folder / "team2" / "story-tw.txt").write_text(OpenCC("s2t").convert(TEXT), encoding="utf-8")
    (folder / "other.txt").write_text("A completely different story about a robot who learns to paint.")
    (folder / "notes.md").write_text(TEXT)  # not a .txt: ignored
    out = tmp_path / "pairs.csv"
    assert main(["judging", "duplicates", str(folder), "--out", str(out), "--json"]) == 0
    with open(out, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:4] == ["a", "b", "kind", "similarity"]
    body = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert [(r["a"], r["b"], r["kind"]) for r in body] == [
        ("a.png", "team2/a-copy.jpg", "image"),
        ("story.txt", "team2/story-tw.txt", "text"),
    ]
    assert all(0 <= float(r["similarity"]) <= 1 and r["explanation"].endswith(".") for r in body)
    report = json.loads(capsys.readouterr().out)
    assert report["images"] == 4 and report["texts"] == 3 and report["skipped"] == []
    assert report["pairs"][0]["advisory"] is True


def test_unreadable_files_are_listed_and_the_rest_still_written(tmp_path, capsys):
    (tmp_path / "broken.png").write_bytes(b"not a picture")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (tmp_path / "one.txt").write_text("hello there, friend of mine")
    (tmp_path / "two.txt").write_text("Hello there, friend of mine!")
    out = tmp_path / "pairs.csv"
    assert main(["judging", "duplicates", str(tmp_path), "--out", str(out)]) == 4
    err = capsys.readouterr().err
    assert "broken.png" in err and "latin1.txt: not UTF-8 text" in err
    with open(out, newline="") as handle:
        rows = list(csv.reader(handle))
    assert [r[:3] for r in rows[1:]] == [["one.txt", "two.txt", "text"]]


def test_missing_folder_is_an_error(tmp_path, capsys):
    assert main(["judging", "duplicates", str(tmp_path / "nope"), "--out", str(tmp_path / "p.csv")]) == 1
    assert "folder not found" in capsys.readouterr().err
