"""What an uploaded picture's metadata says: generator records, labels, C2PA presence, camera EXIF."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, PngImagePlugin

from aigc_contest.generation.provenance import png_with_provenance
from aigc_contest.generation.types import Provenance
from aigc_contest.judging.signals.file_evidence import file_evidence


def _picture() -> Image.Image:
    return Image.new("RGB", (16, 16), (200, 120, 40))


def _png(text: dict[str, str] | None = None) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    _picture().save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def _own_png() -> bytes:
    record = Provenance(
        backend="diffusers", model="sd-tiny", model_id="tiny", prompt="一隻貓在月亮上", seed=7, steps=4
    )
    return png_with_provenance(_picture(), record)


def _codes(data: bytes, **kwargs: bool) -> dict[str, str]:
    return {f.code: f.level for f in file_evidence(data, **kwargs).findings}


def test_own_record_is_read_with_model_prompt_and_label() -> None:
    evidence = file_evidence(_own_png())
    assert evidence.generator == "aigc-contest"
    assert evidence.model == "sd-tiny" and evidence.seed == 7
    assert evidence.ai_label is True
    assert _codes(_own_png()) == {"generator": "info", "ai-label": "info"}
    assert "一隻貓在月亮上" in evidence.summary()


def test_own_record_with_a_chunk_removed_is_flagged_inconsistent() -> None:
    image = Image.open(io.BytesIO(_own_png()))
    kept = {k: v for k, v in image.text.items() if k != "parameters"}
    codes = _codes(_png(kept))
    assert codes["inconsistent"] == "notice"


def test_a1111_parameters_name_the_model() -> None:
    text = "a red fox, watercolour\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Model: dreamshaper_8"
    evidence = file_evidence(_png({"parameters": text}))
    assert evidence.generator == "a1111"
    assert evidence.model == "dreamshaper_8" and evidence.steps == 20
    assert "AUTOMATIC1111" in evidence.findings[0].sentence


def test_camera_photo_in_an_ai_category_is_a_notice_but_not_elsewhere() -> None:
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "Canon EOS R6"
    exif.get_ifd(0x8769)[0x9003] = "2026:10:01 09:30:00"
    buffer = io.BytesIO()
    _picture().save(buffer, "JPEG", exif=exif)
    evidence = file_evidence(buffer.getvalue(), ai_category=True)
    assert evidence.camera == "Canon EOS R6"
    assert evidence.taken_at == "2026:10:01 09:30:00"
    assert [f.code for f in evidence.notices] == ["camera"]
    assert "photograph" in evidence.summary()
    assert _codes(buffer.getvalue(), ai_category=False) == {"camera": "info"}


def test_c2pa_manifest_store_is_seen_in_png_and_jpeg() -> None:
    plain = _png()
    # A caBX chunk (the C2PA PNG chunk) inserted before IEND.
    body = b"\x00\x00\x00\x10jumb\x00\x00\x00\x08jumdc2pa"
    chunk = struct.pack(">I", len(body)) + b"caBX" + body + struct.pack(">I", zlib.crc32(b"caBX" + body))
    png = plain[:-12] + chunk + plain[-12:]
    evidence = file_evidence(png)
    assert evidence.c2pa_present
    assert "content credentials" in " ".join(f.sentence for f in evidence.findings)

    buffer = io.BytesIO()
    _picture().save(buffer, "JPEG")
    jpeg = buffer.getvalue()
    segment = b"JP\x00\x00\x00\x01\x00\x00\x00\x20jumb\x00\x00\x00\x18jumdc2pa\x00\x11\x00\x10"
    app11 = b"\xff\xeb" + struct.pack(">H", len(segment) + 2) + segment
    assert file_evidence(jpeg[:2] + app11 + jpeg[2:]).c2pa_present
    assert not file_evidence(jpeg).c2pa_present


def test_bare_and_broken_files_never_raise() -> None:
    assert _codes(_png()) == {"no-metadata": "info"}
    assert _codes(_png(), ai_category=False) == {}
    assert _codes(b"not a picture at all") == {"unreadable": "notice"}
