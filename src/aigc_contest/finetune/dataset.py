"""A training data set: a folder of images with captions, validated file by file before any training starts.

Two layouts are understood (the second is the Hugging Face `imagefolder` convention):
- caption files: `cat.png` + `cat.txt` side by side (sub-folders allowed);
- `metadata.jsonl` at the top: one JSON object a line, `{"file_name": "cat.png", "text": "a cat"}`.
When `metadata.jsonl` exists it decides, and caption files are ignored.

Every image is checked like an upload (type sniffed from its bytes, pixel count bounded, fully decoded)
and screened by the image safety check; every caption is screened by the text safety check. All problems
are collected and reported together, each with its file name (and line for metadata.jsonl), so a student
can fix the whole folder in one go. A refused caption is never repeated back in the report.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

from aigc_contest.safety import SafetyPolicy, check_image, check_text
from aigc_contest.works.uploads import UploadRejected, inspect_upload

METADATA_FILE = "metadata.jsonl"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
IMAGE_KINDS = frozenset({"png", "jpeg", "webp"})
MAX_ITEMS = 2000  # far more than a school LoRA needs; keeps validation and hashing bounded
MAX_IMAGE_BYTES = 32 * 1024 * 1024
MAX_CAPTION_CHARS = 1000
MAX_METADATA_BYTES = 16 * 1024 * 1024
MIN_IMAGE_SIDE = 64


@dataclass(frozen=True)
class DatasetItem:
    image: Path
    caption: str
    sha256: str  # of the image file
    width: int
    height: int

    def relative_name(self, root: Path) -> str:
        return self.image.relative_to(root).as_posix()


@dataclass(frozen=True)
class DatasetDefect:
    file: str  # relative to the data set folder
    message: str
    kind: Literal["invalid", "refused"] = "invalid"  # refused: the safety layer said no
    line: int | None = None  # metadata.jsonl line number, 1-based

    def __str__(self) -> str:
        where = f"{self.file} (line {self.line})" if self.line else self.file
        return f"{where}: {self.message}"


class DatasetInvalid(ValueError):
    """The folder cannot be used for training; `defects` lists every problem found."""

    def __init__(self, defects: list[DatasetDefect]) -> None:
        self.defects = defects
        refused = sum(1 for d in defects if d.kind == "refused")
        summary = f"the training data has {len(defects)} problem(s)"
        if refused:
            summary += f", {refused} refused by the safety check"
        super().__init__(summary)

    @property
    def refused(self) -> bool:
        return any(d.kind == "refused" for d in self.defects)


@dataclass(frozen=True)
class TrainingDataset:
    root: Path
    items: tuple[DatasetItem, ...]
    layout: Literal["metadata.jsonl", "caption files"]
    warnings: tuple[str, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.items)

    @property
    def sha256(self) -> str:
        """Identifies the data exactly: each image's relative name, content hash and caption, in order."""
        digest = hashlib.sha256()
        for item in self.items:
            digest.update(item.relative_name(self.root).encode())
            digest.update(b"\0" + item.sha256.encode() + b"\0")
            digest.update(item.caption.encode())
            digest.update(b"\n")
        return digest.hexdigest()


def load_dataset(folder: str | Path, policy: SafetyPolicy | None = None) -> TrainingDataset:
    """Validate and screen a data set folder; raise DatasetInvalid listing every problem."""
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise DatasetInvalid([DatasetDefect(str(root), "this is not a folder")])
    root = root.resolve()
    warnings: list[str] = []
    defects: list[DatasetDefect] = []
    if (root / METADATA_FILE).is_file():
        layout: Literal["metadata.jsonl", "caption files"] = "metadata.jsonl"
        rows = _rows_from_metadata(root, defects, warnings)
    else:
        layout = "caption files"
        rows = _rows_from_caption_files(root, defects, warnings)

    if not rows and not defects:
        defects.append(
            DatasetDefect(
                ".",
                "no images found: add PNG, JPEG or WebP images with a caption each "
                f"(cat.png + cat.txt, or a {METADATA_FILE})",
            )
        )
    if len(rows) > MAX_ITEMS:
        defects.append(DatasetDefect(".", f"{len(rows)} images; at most {MAX_ITEMS} can be used"))
        rows = rows[:MAX_ITEMS]

    items: list[DatasetItem] = []
    for row in rows:
        item = _checked_item(root, row, policy, defects, warnings)
        if item is not None:
            items.append(item)
    if defects:
        raise DatasetInvalid(defects)
    return TrainingDataset(root, tuple(items), layout, tuple(dict.fromkeys(warnings)))


@dataclass(frozen=True)
class _Row:
    image: Path
    caption: str
    caption_file: str  # where the caption came from, for messages
    line: int | None = None


def _relative(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def _is_hidden(root: Path, path: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _rows_from_caption_files(root: Path, defects: list[DatasetDefect], warnings: list[str]) -> list[_Row]:
    rows: list[_Row] = []
    captions_used: set[Path] = set()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not _is_hidden(root, p)):
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        caption_path = path.with_suffix(".txt")
        name = _relative(root, path)
        if not caption_path.is_file():
            defects.append(DatasetDefect(name, f"has no caption file (expected {_relative(root, caption_path)})"))
            continue
        if caption_path in captions_used:  # cat.png and cat.jpg would share cat.txt
            defects.append(
                DatasetDefect(name, f"shares its caption file {_relative(root, caption_path)} with another image")
            )
            continue
        captions_used.add(caption_path)
        caption = _read_caption(root, caption_path, defects)
        if caption is not None:
            rows.append(_Row(path, caption, _relative(root, caption_path)))
    for path in sorted(root.rglob("*.txt")):
        if path not in captions_used and not _is_hidden(root, path):
            warnings.append(f"{_relative(root, path)}: caption file without an image, ignored")
    return rows


def _read_caption(root: Path, path: Path, defects: list[DatasetDefect]) -> str | None:
    name = _relative(root, path)
    if path.stat().st_size > MAX_CAPTION_CHARS * 4:
        defects.append(DatasetDefect(name, f"caption is too long (at most {MAX_CAPTION_CHARS} characters)"))
        return None
    try:
        return path.read_bytes().decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        defects.append(DatasetDefect(name, "caption is not UTF-8 text; save it as UTF-8"))
        return None


def _rows_from_metadata(root: Path, defects: list[DatasetDefect], warnings: list[str]) -> list[_Row]:
    metadata = root / METADATA_FILE
    if metadata.stat().st_size > MAX_METADATA_BYTES:
        defects.append(DatasetDefect(METADATA_FILE, f"is larger than {MAX_METADATA_BYTES // 1_048_576} MB"))
        return []
    try:
        lines = metadata.read_bytes().decode("utf-8-sig").splitlines()
    except UnicodeDecodeError:
        defects.append(DatasetDefect(METADATA_FILE, "is not UTF-8 text"))
        return []
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        row = _metadata_row(root, line, number, defects)
        if row is None:
            continue
        key = _relative(root, row.image)
        if key in seen:
            defects.append(
                DatasetDefect(METADATA_FILE, f"{key} is listed twice (first on line {seen[key]})", line=number)
            )
            continue
        seen[key] = number
        rows.append(row)
    listed = {row.image for row in rows}
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() in IMAGE_SUFFIXES and path not in listed and not _is_hidden(root, path):
            warnings.append(f"{_relative(root, path)}: not listed in {METADATA_FILE}, ignored")
    return rows


def _metadata_row(root: Path, line: str, number: int, defects: list[DatasetDefect]) -> _Row | None:
    def defect(message: str) -> None:
        defects.append(DatasetDefect(METADATA_FILE, message, line=number))

    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        defect(f"not valid JSON ({exc.msg})")
        return None
    if not isinstance(record, dict):
        defect('each line must be a JSON object like {"file_name": "cat.png", "text": "a cat"}')
        return None
    file_name, text = record.get("file_name"), record.get("text")
    if not isinstance(file_name, str) or not file_name.strip():
        defect('"file_name" is missing or not a string')
        return None
    if not isinstance(text, str):
        defect(f'{file_name}: "text" (the caption) is missing or not a string')
        return None
    relative = PurePosixPath(file_name.replace("\\", "/"))
    if relative.is_absolute() or ".." in relative.parts or ":" in file_name:
        defect(f"{file_name}: file_name must be a path inside the data set folder")
        return None
    image = root / relative
    if image.suffix.lower() not in IMAGE_SUFFIXES:
        defect(f"{file_name}: not a PNG, JPEG or WebP file name")
        return None
    if not image.is_file():
        defect(f"{file_name}: no such file in the data set folder")
        return None
    return _Row(image, text.strip(), METADATA_FILE, number)


def _checked_item(
    root: Path,
    row: _Row,
    policy: SafetyPolicy | None,
    defects: list[DatasetDefect],
    warnings: list[str],
) -> DatasetItem | None:
    name = _relative(root, row.image)
    ok = True
    # The caption: present, bounded, and accepted by the text safety check (never echoed when refused).
    if not row.caption:
        defects.append(DatasetDefect(row.caption_file, f"the caption for {name} is empty", line=row.line))
        ok = False
    elif len(row.caption) > MAX_CAPTION_CHARS:
        defects.append(
            DatasetDefect(
                row.caption_file,
                f"the caption for {name} is too long (at most {MAX_CAPTION_CHARS} characters)",
                line=row.line,
            )
        )
        ok = False
    else:
        verdict = check_text(row.caption, policy)
        if not verdict.allowed:
            defects.append(
                DatasetDefect(
                    row.caption_file,
                    f"the caption for {name} was not accepted: {verdict.message('en')}",
                    kind="refused",
                    line=row.line,
                )
            )
            ok = False
        warnings.extend(verdict.warnings)

    # The image: a real, complete, bounded picture, accepted by the image safety check.
    if row.image.stat().st_size > MAX_IMAGE_BYTES:
        defects.append(DatasetDefect(name, f"is larger than {MAX_IMAGE_BYTES // 1_048_576} MB"))
        return None
    data = row.image.read_bytes()
    try:
        info = inspect_upload(data, allowed=IMAGE_KINDS, max_bytes=MAX_IMAGE_BYTES)
    except UploadRejected as exc:
        defects.append(DatasetDefect(name, exc.reason))
        return None
    width, height = info.width or 0, info.height or 0
    if min(width, height) < MIN_IMAGE_SIDE:
        defects.append(
            DatasetDefect(name, f"is {width}×{height} pixels; each side must be at least {MIN_IMAGE_SIDE}")
        )
        return None
    verdict = check_image(data, policy)
    warnings.extend(verdict.warnings)
    if not verdict.allowed:
        defects.append(DatasetDefect(name, f"was not accepted: {verdict.message('en')}", kind="refused"))
        return None
    if not ok:
        return None
    return DatasetItem(row.image, row.caption, info.sha256, width, height)


def unpack_dataset(archive: bytes, folder: str | Path) -> Path:
    """Write a ZIP upload's pictures, caption files and metadata.jsonl into `folder` (which must be empty
    or new) after :func:`aigc_contest.works.archives.read_zip` has checked every member (zip slip, zip
    bombs, links, sizes); then :func:`load_dataset` checks the set itself. Other files are left out."""
    from aigc_contest.works.archives import read_zip

    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    if any(root.iterdir()):
        raise ValueError(f"{root} is not empty")
    contents = read_zip(
        archive,
        suffixes=(*IMAGE_SUFFIXES, ".txt", ".jsonl"),
        skip_other_kinds=True,
        max_members=2 * MAX_ITEMS + 1,
        max_member_bytes=max(MAX_IMAGE_BYTES, MAX_METADATA_BYTES),
    )
    for member in contents.members:
        target = root / member.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(member.data)
    return root
