"""Short video uploads: MP4 or WebM known from their bytes, their length read from the container's header."""

from __future__ import annotations

import pytest

from aigc_contest.works.uploads import UploadRejected
from aigc_contest.works.video import inspect_video
from video_builders import mp4, webm

LIMITS = {"max_bytes": 50 * 1024 * 1024, "max_seconds": 180}


@pytest.mark.parametrize("version", [0, 1])
def test_an_mp4_is_known_by_its_ftyp_box_and_its_length_by_mvhd(version: int) -> None:
    info = inspect_video(mp4(95.5, timescale=90000, version=version), **LIMITS)
    assert (info.container, info.mime, info.seconds) == ("mp4", "video/mp4", 95.5)
    assert len(info.sha256) == 64


def test_a_fragmented_mp4_gives_its_length_in_mehd() -> None:
    assert inspect_video(mp4(42, fragmented=True), **LIMITS).seconds == 42


@pytest.mark.parametrize("float_bytes", [4, 8])
def test_a_webm_is_known_by_its_ebml_header_and_its_length_by_segment_info(float_bytes: int) -> None:
    info = inspect_video(webm(61.25, float_bytes=float_bytes), **LIMITS)
    assert (info.container, info.mime) == ("webm", "video/webm")
    assert info.seconds == pytest.approx(61.25, abs=0.01)
    # Another tick length (TimecodeScale) and a live recording's Segment of unknown size read the same.
    assert inspect_video(webm(30, scale=500_000, unknown_segment=True), **LIMITS).seconds == pytest.approx(30)


def _code(data: bytes, **limits: float) -> str:
    with pytest.raises(UploadRejected) as refused:
        inspect_video(data, **(LIMITS | limits))  # type: ignore[arg-type]
    return refused.value.code


def test_too_long_or_too_large_is_refused_with_the_numbers() -> None:
    with pytest.raises(UploadRejected) as long:
        inspect_video(mp4(181), **LIMITS)
    assert long.value.code == "too_long" and long.value.params == {"seconds": 181, "limit_seconds": 180}
    assert _code(webm(200), max_seconds=180) == "too_long"
    assert _code(mp4(10, padding=4096), max_bytes=2048) == "too_large"


def test_what_is_not_a_video_container_is_refused() -> None:
    assert _code(b"") == "empty"
    assert _code(b"RIFF\x00\x00\x00\x00AVI LIST" + bytes(64)) == "wrong_type"
    assert _code(mp4(10, brand=b"heic").replace(b"mp41", b"mif1")) == "wrong_type"  # a HEIF picture
    assert _code(webm(10, doc_type=b"matroska")) == "wrong_type"
    assert _code(b"\x89PNG\r\n\x1a\n" + bytes(64)) == "wrong_type"


def test_a_video_that_does_not_say_its_length_or_holds_no_picture_is_refused() -> None:
    assert _code(webm(None)) == "no_duration"  # what a browser's recorder writes
    assert _code(mp4(0)) == "no_duration"
    assert _code(mp4(10, video=False)) == "no_video"  # sound only
    assert _code(webm(10, video=False)) == "no_video"


def test_cut_short_or_lying_sizes_are_refused_without_reading_past_the_end() -> None:
    whole = mp4(10)
    assert _code(whole[: len(whole) - 200]) == "corrupt"
    lying = bytearray(webm(10))
    info = lying.index(b"\x15\x49\xa9\x66") + 4
    lying[info: info + 8] = b"\x01\x00\x00\x00\x00\x10\x00\x00"  # Info now claims a megabyte
    assert _code(bytes(lying)) == "corrupt"
    box = bytearray(mp4(10))
    box[len(box) - 8: len(box) - 4] = (1 << 30).to_bytes(4, "big")  # the mdat box claims a gigabyte
    assert _code(bytes(box)) == "corrupt"
    assert _code(webm(10)[:30]) == "corrupt"
