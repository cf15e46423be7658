"""ZIP uploads: zip slip, links, zip bombs, encrypted and damaged members are refused before anything is
written; a good archive of pictures and captions becomes a training set."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import pytest

from aigc_contest.works.archives import ArchiveRejected, read_zip, safe_member_name


def _zip(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _code(data: bytes, **kwargs) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ArchiveRejected) as caught:
        read_zip(data, **kwargs)
    return caught.value.code


@pytest.mark.parametrize(
    "name",
    ["../escape.txt", "/etc/passwd", "a/../../b.txt", "C:/windows/x.txt", "a\\..\\b.txt", "./x/../../y"],
)
def test_names_outside_the_folder_are_refused(name: str) -> None:
    assert safe_member_name(name) is None
    assert _code(_zip({"ok.txt": b"fine", name: b"evil"})) == "unsafe_path"


def test_a_symbolic_link_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        link = zipfile.ZipInfo("pictures/cat.png")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    assert _code(buffer.getvalue()) == "special_file"


def test_a_zip_bomb_is_refused_without_unpacking_it() -> None:
    bomb = _zip({"big.txt": b"\0" * (50 * 1024 * 1024)})
    assert len(bomb) < 200_000
    assert _code(bomb) == "zip_bomb"
    assert (
        _code(_zip({"big.txt": b"x" * 2_000_000}), max_total_bytes=1_000_000, max_ratio=10**6) == "too_large"
    )


def test_a_member_that_lies_about_its_size_is_caught_while_reading() -> None:
    data = bytearray(_zip({"a.txt": b"abcdefgh" * 1000}, compression=zipfile.ZIP_STORED))
    # Shrink the size the central directory declares: reading must notice the extra bytes.
    index = data.rfind(b"PK\x01\x02")
    data[index + 24 : index + 28] = (10).to_bytes(4, "little")
    assert _code(bytes(data)) in {"zip_bomb", "corrupt"}


def test_counts_duplicates_kinds_and_damage() -> None:
    many = _zip({f"{n}.txt": b"x" for n in range(12)})
    assert _code(many, max_members=10) == "too_many"
    assert _code(_zip({"Cat.png": b"1", "cat.PNG": b"2"})) == "duplicate"
    assert _code(_zip({"run.exe": b"MZ"}), suffixes=[".png"]) == "wrong_type"
    assert _code(b"PK\x03\x04 not really") == "not_zip"
    kept = read_zip(_zip({"a.png": b"1", "notes.docx": b"2", "__MACOSX/._a.png": b"3", ".DS_Store": b"4",
                          "sub/": b""}), suffixes=[".png"], skip_other_kinds=True)  # fmt: skip
    assert [m.name for m in kept.members] == ["a.png"] and kept.skipped == ["notes.docx"]


def test_a_good_archive_becomes_a_training_set(tmp_path: Path) -> None:
    from PIL import Image

    from aigc_contest.finetune.dataset import load_dataset, unpack_dataset

    members = {}
    for name, colour in (("red", (220, 30, 30)), ("blue", (30, 30, 220)), ("green", (30, 200, 30))):
        buffer = io.BytesIO()
        Image.new("RGB", (80, 96), colour).save(buffer, "PNG")
        members[f"set/{name}.png"] = buffer.getvalue()
        members[f"set/{name}.txt"] = f"a {name} square on a plain background".encode()
    members["set/readme.md"] = b"left out"
    folder = unpack_dataset(_zip(members), tmp_path / "set")
    dataset = load_dataset(folder)
    assert len(dataset) == 3
    assert not (folder / "set" / "readme.md").exists()
    with pytest.raises(ValueError):
        unpack_dataset(_zip(members), folder)  # never into a folder that already holds files
