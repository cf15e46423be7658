"""What a short video upload may be: an MP4 or a WebM, known from its bytes, with its length read from the
container's own header (no ffmpeg, nothing decoded).

- MP4 (ISO base media file): the file opens with an `ftyp` box naming a video brand; the `moov` box holds
  `mvhd` (timescale and duration; a fragmented file's `mvex/mehd` when `mvhd` says 0) and a track whose
  `hdlr` handler is `vide`.
- WebM (Matroska's subset): the file opens with an EBML header whose DocType is `webm`; the Segment's Info
  holds TimecodeScale (nanoseconds per tick, 1 000 000 unless given) and Duration (a float, in ticks), and
  Tracks a track of type 1 (video).

Every size is checked against the bytes there are, so a cut-short or hostile file is refused, never read
past its end. A file that does not say how long it is (a browser's recording often does not) is refused too:
its length cannot be checked.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from aigc_contest.works.uploads import UploadRejected

MP4_BRANDS = frozenset({
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso8", b"iso9", b"mp41", b"mp42", b"avc1", b"M4V ",
    b"dash", b"mmp4", b"msnv", b"av01",
})  # fmt: skip
_MAX_BOXES = 10_000
_MAX_DEPTH = 8


@dataclass(frozen=True)
class VideoInfo:
    container: str  # mp4 | webm
    mime: str
    extension: str
    seconds: float
    size: int
    sha256: str


def _corrupt() -> UploadRejected:
    return UploadRejected("The video could not be read; it may be damaged or cut short.", "corrupt")


# ---------------------------------------------------------------- MP4


def _boxes(data: bytes, start: int, end: int, counter: list[int]) -> list[tuple[bytes, int, int]]:
    """The boxes between `start` and `end`: (type, payload start, payload end)."""
    found = []
    at = start
    while at + 8 <= end:
        counter[0] += 1
        if counter[0] > _MAX_BOXES:
            raise _corrupt()
        size, kind = struct.unpack_from(">I4s", data, at)
        header = 8
        if size == 1:
            if at + 16 > end:
                raise _corrupt()
            size = struct.unpack_from(">Q", data, at + 8)[0]
            header = 16
        elif size == 0:
            size = end - at  # to the end of its parent
        if size < header or at + size > end:
            raise _corrupt()
        found.append((kind, at + header, at + size))
        at += size
    return found


def _child(data: bytes, parent: tuple[bytes, int, int], kind: bytes, counter: list[int]) -> list[tuple[bytes, int, int]]:
    return [box for box in _boxes(data, parent[1], parent[2], counter) if box[0] == kind]


def _mp4_seconds(data: bytes) -> float:
    counter = [0]
    top = _boxes(data, 0, len(data), counter)
    moov = [box for box in top if box[0] == b"moov"]
    if not moov:
        raise _corrupt()
    mvhd = _child(data, moov[0], b"mvhd", counter)
    if not mvhd or mvhd[0][2] - mvhd[0][1] < 24:
        raise _corrupt()
    _kind, start, end = mvhd[0]
    version = data[start]
    if version == 1:
        if end - start < 32:
            raise _corrupt()
        timescale, duration = struct.unpack_from(">IQ", data, start + 20)
        unknown = duration == 0xFFFFFFFFFFFFFFFF
    else:
        timescale, duration = struct.unpack_from(">II", data, start + 12)
        unknown = duration == 0xFFFFFFFF
    if duration == 0 or unknown:  # a fragmented file: the whole length is in mvex/mehd
        duration = 0
        for mvex in _child(data, moov[0], b"mvex", counter):
            for mehd in _child(data, mvex, b"mehd", counter):
                if mehd[2] - mehd[1] >= 8:
                    if data[mehd[1]] == 1 and mehd[2] - mehd[1] >= 12:
                        duration = struct.unpack_from(">Q", data, mehd[1] + 4)[0]
                    else:
                        duration = struct.unpack_from(">I", data, mehd[1] + 4)[0]
    if timescale == 0 or duration == 0:
        raise UploadRejected("The video does not say how long it is.", "no_duration")
    has_video = False
    for trak in _child(data, moov[0], b"trak", counter):
        for mdia in _child(data, trak, b"mdia", counter):
            for hdlr in _child(data, mdia, b"hdlr", counter):
                if hdlr[2] - hdlr[1] >= 12 and data[hdlr[1] + 8: hdlr[1] + 12] == b"vide":
                    has_video = True
    if not has_video:
        raise UploadRejected("The file holds no video track.", "no_video")
    return duration / timescale


def _is_mp4(data: bytes) -> bool:
    if len(data) < 16 or data[4:8] != b"ftyp":
        return False
    size = struct.unpack_from(">I", data, 0)[0]
    if size < 16 or size > len(data) or size > 4096:
        return False
    brands = {data[8:12]} | {data[i: i + 4] for i in range(16, size - 3, 4)}
    return bool(brands & MP4_BRANDS)


# ---------------------------------------------------------------- WebM (EBML)

EBML_HEADER = 0x1A45DFA3
DOC_TYPE = 0x4282
SEGMENT = 0x18538067
INFO = 0x1549A966
TIMECODE_SCALE = 0x2AD7B1
DURATION = 0x4489
TRACKS = 0x1654AE6B
TRACK_ENTRY = 0xAE
TRACK_TYPE = 0x83
CLUSTER = 0x1F43B675
UNKNOWN = -1


def _vint(data: bytes, at: int, *, keep_marker: bool) -> tuple[int, int]:
    """An EBML variable-length integer at `at`: (value, length); UNKNOWN for a size of all ones."""
    if at >= len(data):
        raise _corrupt()
    first = data[at]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8 or at + length > len(data):
        raise _corrupt()
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[at + 1: at + length]:
        value = (value << 8) | byte
    if not keep_marker and value == (1 << (7 * length)) - 1:
        return UNKNOWN, length
    return value, length


def _elements(data: bytes, start: int, end: int, counter: list[int]) -> list[tuple[int, int, int]]:
    """The elements between `start` and `end`: (id, payload start, payload end). An element of unknown size
    (a live recording's Segment or Cluster) runs to `end`, and nothing after it is read."""
    found = []
    at = start
    while at < end:
        counter[0] += 1
        if counter[0] > _MAX_BOXES:
            raise _corrupt()
        element, id_length = _vint(data, at, keep_marker=True)
        size, size_length = _vint(data, at + id_length, keep_marker=False)
        payload = at + id_length + size_length
        stop = end if size == UNKNOWN else payload + size
        if stop > end:
            raise _corrupt()
        found.append((element, payload, stop))
        if size == UNKNOWN:
            break
        at = stop
    return found


def _uint(data: bytes, start: int, end: int) -> int:
    if not 0 < end - start <= 8:
        raise _corrupt()
    return int.from_bytes(data[start:end], "big")


def _webm_seconds(data: bytes) -> float:
    counter = [0]
    top = _elements(data, 0, len(data), counter)
    header = top[0]
    doc_types = [e for e in _elements(data, header[1], header[2], counter) if e[0] == DOC_TYPE]
    if not doc_types or data[doc_types[0][1]: doc_types[0][2]].rstrip(b"\0") != b"webm":
        raise UploadRejected("This is not a WebM video.", "wrong_type")
    segments = [e for e in top[1:] if e[0] == SEGMENT]
    if not segments:
        raise _corrupt()
    scale, duration, has_video = 1_000_000, None, False
    for element, start, end in _elements(data, segments[0][1], segments[0][2], counter):
        if element == CLUSTER:
            break  # the pictures begin: Info and Tracks come before them
        if element == INFO:
            for child, child_start, child_end in _elements(data, start, end, counter):
                if child == TIMECODE_SCALE:
                    scale = _uint(data, child_start, child_end)
                elif child == DURATION:
                    length = child_end - child_start
                    if length == 4:
                        duration = struct.unpack_from(">f", data, child_start)[0]
                    elif length == 8:
                        duration = struct.unpack_from(">d", data, child_start)[0]
                    else:
                        raise _corrupt()
        elif element == TRACKS:
            for entry, entry_start, entry_end in _elements(data, start, end, counter):
                if entry != TRACK_ENTRY:
                    continue
                for child, child_start, child_end in _elements(data, entry_start, entry_end, counter):
                    if child == TRACK_TYPE and _uint(data, child_start, child_end) == 1:
                        has_video = True
    if duration is None or not duration > 0 or scale == 0:  # also NaN
        raise UploadRejected("The video does not say how long it is.", "no_duration")
    if not has_video:
        raise UploadRejected("The file holds no video track.", "no_video")
    return duration * scale / 1e9


# ---------------------------------------------------------------- the check


def inspect_video(data: bytes, *, max_bytes: int, max_seconds: float) -> VideoInfo:
    """Check a video upload completely; UploadRejected (with `code` and its numbers) says why not."""
    if not data:
        raise UploadRejected("The file is empty.", "empty")
    if len(data) > max_bytes:
        raise UploadRejected("The video is too large.", "too_large", size_mb=round(len(data) / 1_048_576, 1),
                             limit_mb=round(max_bytes / 1_048_576))  # fmt: skip
    if _is_mp4(data):
        container, mime, seconds = "mp4", "video/mp4", _mp4_seconds(data)
    elif data[:4] == EBML_HEADER.to_bytes(4, "big"):
        container, mime, seconds = "webm", "video/webm", _webm_seconds(data)
    else:
        raise UploadRejected("This is not an MP4 or WebM video.", "wrong_type")
    if seconds > max_seconds:
        raise UploadRejected("The video is too long.", "too_long", seconds=round(seconds),
                             limit_seconds=round(max_seconds))  # fmt: skip
    return VideoInfo(container, mime, container, round(seconds, 3), len(data), hashlib.sha256(data).hexdigest())
