"""Nothing that names a child reaches a judge or the gallery: JPEG comments, ICC profiles, nested
provenance fields, PDF document information and XMP metadata."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image, ImageCms
from PIL.PngImagePlugin import PngInfo

XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>Chan Tai Man XMP</dc:creator></x:xmpmeta>'


def _srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def pdf_with_metadata() -> bytes:
    """A one-page PDF whose Info dictionary and XMP stream both name the author."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, StreamObject

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_metadata({"/Author": "Team Owls", "/Creator": "Chan Tai Man"})
    xmp = StreamObject()
    xmp.set_data(XMP)
    xmp[NameObject("/Type")] = NameObject("/Metadata")
    xmp[NameObject("/Subtype")] = NameObject("/XML")
    writer.root_object[NameObject("/Metadata")] = writer._add_object(xmp)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_blind_jpeg_drops_its_comment_and_icc_profile() -> None:
    from aigc_contest.web.judging.blind import blind_image

    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (200, 10, 10)).save(buffer, "JPEG", comment=b"Chan Tai Man, Team Owls",
                                                   icc_profile=_srgb_profile())  # fmt: skip
    source = Image.open(io.BytesIO(buffer.getvalue()))
    assert source.info.get("comment") and source.info.get("icc_profile")  # the fixture really carries them
    out = blind_image(buffer.getvalue())
    image = Image.open(io.BytesIO(out.data))
    assert out.mime == "image/jpeg" and b"Chan Tai Man" not in out.data
    assert "comment" not in image.info and "icc_profile" not in image.info


def test_blind_png_drops_icc_and_personal_fields_at_any_depth() -> None:
    from aigc_contest.web.judging.blind import blind_image

    provenance = {"model": "image-tiny", "request": {"prompt": "kite", "user": "student.a",
                                                     "inputs": [{"author": "Amy", "seed": 7}]}}  # fmt: skip
    info = PngInfo()
    info.add_text("aigc-contest", json.dumps(provenance))
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (10, 200, 10)).save(buffer, "PNG", pnginfo=info, icc_profile=_srgb_profile())
    out = blind_image(buffer.getvalue())
    image = Image.open(io.BytesIO(out.data))
    assert "icc_profile" not in image.info
    kept = json.loads(image.text["aigc-contest"])
    assert kept == {"model": "image-tiny", "request": {"prompt": "kite", "inputs": [{"seed": 7}]}}
    assert b"student.a" not in out.data and b"Amy" not in out.data


def test_blind_pdf_drops_document_information_and_xmp() -> None:
    from pypdf import PdfReader

    from aigc_contest.web.judging.blind import blind_pdf

    original = pdf_with_metadata()
    assert b"Team Owls" in original and b"Chan Tai Man XMP" in original
    out = blind_pdf(original)
    for secret in (b"Team Owls", b"Chan Tai Man", b"xmpmeta", b"/Author", b"/Producer"):
        assert secret not in out, secret
    reader = PdfReader(io.BytesIO(out))
    assert len(reader.pages) == 1 and reader.metadata is None and reader.xmp_metadata is None
    with pytest.raises(ValueError):
        blind_pdf(b"not a pdf at all")


@pytest.mark.django_db
def test_judges_and_the_gallery_get_the_pdf_without_metadata(judged, client) -> None:  # type: ignore[no-untyped-def]
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from aigc_contest.web.entries.models import EntryVersion
    from aigc_contest.web.judging.models import Assignment

    assignment = Assignment.objects.filter(round=judged.round, entry=judged.entry_b).first()
    stored = default_storage.save("test-works/meta.pdf", ContentFile(pdf_with_metadata()))
    EntryVersion.objects.filter(pk=assignment.version_id).update(file=stored, mime="application/pdf")
    client.force_login(assignment.judge)
    response = client.get(f"/judging/assignments/{assignment.pk}/file")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert b"Team Owls" not in response.content and b"Chan Tai Man" not in response.content


def _png_with_text(chunks: dict[str, str]) -> bytes:
    info = PngInfo()
    for key, value in chunks.items():
        info.add_itxt(key, value)
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        (r"C:\Users\Mei Chan\models\sd.safetensors", "sd.safetensors"),
        ("/Users/Mei Chan/Models/my model.ckpt", "my model.ckpt"),
        ("file:///root/models/sd", "sd"),
        ("kite <lora:/root/x:0.8>", "kite <lora:x:0.8>"),
        (r"\\server\share\Mei Chan\a.ckpt", "a.ckpt"),
        ("~/Mei Chan/a.ckpt", "a.ckpt"),
        ("Steps: 20, Model: /home/Mei Chan/m.ckpt, Seed: 7", "Steps: 20, Model: m.ckpt, Seed: 7"),
        ("see https://example.com/a/b, 1/2 w/ cfg", "see https://example.com/a/b, 1/2 w/ cfg"),
    ],
)
def test_blind_png_cuts_every_path_to_its_file_name(text: str, kept: str) -> None:
    from aigc_contest.web.judging.blind import blind_image

    out = blind_image(_png_with_text({"parameters": text}))
    assert out.provenance["parameters"] == kept
    assert b"Mei" not in out.data and b"root" not in out.data


def test_blind_png_drops_every_personal_key_in_json_provenance() -> None:
    from aigc_contest.web.judging.blind import blind_image

    provenance = {
        "model": "image-tiny",
        "model_id": r"C:\Users\Mei Chan\models\sd.safetensors",
        "username": "mei.chan", "Display_Name": "Mei", "E-mail": "mei@example.org",
        "student": {"name": "Chan Tai Man"}, "teacher": "Ms Wong", "class": "4B",
        "request": {"prompt": "kite", "submitted_by": {"name": "Amy Lee", "email": "amy@example.org"},
                    "loras": [{"name": "/root/loras/style.safetensors", "scale": 0.8}]},
    }  # fmt: skip
    out = blind_image(_png_with_text({"aigc-contest": json.dumps(provenance)}))
    kept = json.loads(out.provenance["aigc-contest"])
    assert kept == {
        "model": "image-tiny",
        "model_id": "image-tiny",
        "request": {
            "prompt": "kite",
            "submitted_by": {},
            "loras": [{"name": "style.safetensors", "scale": 0.8}],
        },
    }
    for word in (b"Mei", b"Chan", b"Amy", b"Wong", b"4B", b"example.org"):
        assert word not in out.data
