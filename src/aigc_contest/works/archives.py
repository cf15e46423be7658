"""Reading an uploaded ZIP archive safely: a training set's pictures and captions, an application's sources.

Nothing is extracted as the archive says: every member is checked first and read into memory with a
hard cap, and the caller decides where (if anywhere) the bytes go. Refused, with a reason a person can act
on:
- not a ZIP, or damaged; encrypted members;
- names that would land outside the folder (zip slip: absolute paths, drive letters, `..`, backslashes),
  symbolic links and other special files, two members that would be the same file;
- too many members, too many bytes once unpacked (the sizes the archive declares and, since those can
  lie, the bytes really read), a member that unpacks more than `max_ratio` times its packed size (a zip
  bomb);
- members of a kind the caller did not ask for (e.g. only pictures and captions), unless told to skip them.
Folders, `__MACOSX/` and hidden files (`.DS_Store`) are skipped silently: operating systems add them.
"""

from __future__ import annotations

import io
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

DEFAULT_MAX_MEMBERS = 500
DEFAULT_MAX_TOTAL_BYTES = 512 * 1024 * 1024
DEFAULT_MAX_MEMBER_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_RATIO = 100  # pictures barely compress; text compresses ~3-10x; a bomb compresses 1000x
_CHUNK = 1024 * 1024


class ArchiveRejected(ValueError):
    def __init__(self, reason: str, code: str, **params: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.params = params


@dataclass(frozen=True)
class ArchiveMember:
    name: str  # the safe relative path, "/"-separated
    data: bytes


@dataclass
class ArchiveContents:
    members: list[ArchiveMember] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # names left out as not asked for

    @property
    def total_bytes(self) -> int:
        return sum(len(m.data) for m in self.members)


def safe_member_name(raw: str) -> str | None:
    """The member's path if it stays inside the folder, else None. Folders return None too."""
    if not raw or raw.endswith("/") or "\\" in raw or "\x00" in raw:
        return None
    path = PurePosixPath(raw)
    if path.is_absolute() or (path.parts and path.parts[0].endswith(":")):
        return None
    if any(part in ("", ".", "..") for part in path.parts):
        return None
    return str(path)


def _is_ignorable(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return parts[0] == "__MACOSX" or any(part.startswith(".") for part in parts)


def read_zip(
    data: bytes,
    *,
    suffixes: Iterable[str] | None = None,
    skip_other_kinds: bool = False,
    max_members: int = DEFAULT_MAX_MEMBERS,
    max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
    max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES,
    max_ratio: float = DEFAULT_MAX_RATIO,
) -> ArchiveContents:
    """Every acceptable member of the ZIP in `data`, read into memory; ArchiveRejected on the first problem."""
    wanted = {s.lower() for s in suffixes} if suffixes is not None else None
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ArchiveRejected("This is not a ZIP archive, or it is damaged.", "not_zip") from exc
    contents = ArchiveContents()
    seen: set[str] = set()
    declared_total = 0
    with archive:
        infos = archive.infolist()
        if len(infos) > max_members * 2:  # folders and hidden files count a little; beyond this, refuse
            raise ArchiveRejected(f"The archive holds {len(infos)} files; the limit is {max_members}.",
                                  "too_many", count=len(infos), limit=max_members)  # fmt: skip
        for info in infos:
            if info.is_dir():
                continue
            name = safe_member_name(info.filename)
            if name is None:
                raise ArchiveRejected(f"The archive has a file outside its folder: {info.filename[:120]!r}.",
                                      "unsafe_path", name=info.filename[:120])  # fmt: skip
            kind = stat.S_IFMT(info.external_attr >> 16)  # 0 where the tool wrote no type (Python, Windows)
            if kind not in (0, stat.S_IFREG):
                raise ArchiveRejected(f"{name} is a link or a special file, which is not allowed.", "special_file",
                                      name=name)  # fmt: skip
            if _is_ignorable(name):
                continue
            if info.flag_bits & 0x1:
                raise ArchiveRejected(f"{name} is protected with a password.", "encrypted", name=name)
            if wanted is not None and PurePosixPath(name).suffix.lower() not in wanted:
                if skip_other_kinds:
                    contents.skipped.append(name)
                    continue
                raise ArchiveRejected(
                    f"{name} is not a kind of file this archive may hold.", "wrong_type", name=name
                )
            folded = name.casefold()
            if folded in seen:
                raise ArchiveRejected(
                    f"Two files in the archive are both called {name}.", "duplicate", name=name
                )
            seen.add(folded)
            if len(contents.members) >= max_members:
                raise ArchiveRejected(f"The archive holds more than {max_members} files.", "too_many",
                                      count=len(infos), limit=max_members)  # fmt: skip
            declared_total += info.file_size
            if info.file_size > max_member_bytes or declared_total > max_total_bytes:
                raise ArchiveRejected("The archive is too large once unpacked.", "too_large",
                                      limit_mb=max_total_bytes // 2**20)  # fmt: skip
            if info.compress_size and info.file_size / info.compress_size > max_ratio:
                raise ArchiveRejected(f"{name} unpacks to far more than its size: it looks like a zip bomb.",
                                      "zip_bomb", name=name)  # fmt: skip
            contents.members.append(ArchiveMember(name, _read_capped(archive, info, name, max_member_bytes,
                                                                      max_ratio)))  # fmt: skip
            if contents.total_bytes > max_total_bytes:
                raise ArchiveRejected("The archive is too large once unpacked.", "too_large",
                                      limit_mb=max_total_bytes // 2**20)  # fmt: skip
    return contents


def _read_capped(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, limit: int, max_ratio: float
) -> bytes:
    """The member's bytes, never more than `limit` nor `max_ratio` × its packed size, whatever it declared."""
    cap = min(limit, int(max(info.compress_size, 1) * max_ratio) + 1)
    buffer = bytearray()
    try:
        with archive.open(info) as member:
            while chunk := member.read(min(_CHUNK, cap + 1 - len(buffer))):
                buffer += chunk
                if len(buffer) > cap:
                    raise ArchiveRejected(f"{name} unpacks to more than it says: it looks like a zip bomb.",
                                          "zip_bomb", name=name)  # fmt: skip
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        if isinstance(exc, ArchiveRejected):
            raise
        raise ArchiveRejected(f"{name} in the archive is damaged.", "corrupt", name=name) from exc
    if len(buffer) != info.file_size:
        raise ArchiveRejected(f"{name} in the archive is damaged.", "corrupt", name=name)
    return bytes(buffer)
