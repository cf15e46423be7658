import io
import struct
import zlib

import pytest
from PIL import Image

from aigc_contest.works.uploads import UploadRejected, inspect_upload, sniff_kind


def _image(fmt: str, size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 200, 10)).save(buffer, format=fmt)
    return buffer.getvalue()


def _png_header_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge canvas: a decompression bomb's shape."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize("fmt,kind", [("PNG", "png"), ("JPEG", "jpeg"), ("WEBP", "webp")])
def test_images_are_sniffed_and_measured(fmt, kind):
    info = inspect_upload(_image(fmt))
    assert info.kind == kind
    assert (info.width, info.height) == (40, 30)
    assert len(info.sha256) == 64


def test_pdf_is_accepted_and_pages_counted():
    buffer = io.BytesIO()
    pages = [Image.new("RGB", (100, 100), "white") for _ in range(2)]
    pages[0].save(buffer, format="PDF", save_all=True, append_images=pages[1:])
    info = inspect_upload(buffer.getvalue())
    assert info.kind == "pdf" and info.pages == 2


def test_type_comes_from_bytes_not_name():
    with pytest.raises(UploadRejected) as exc:
        inspect_upload(b"MZ\x90\x00 this is an executable pretending to be a png")
    assert exc.value.code == "wrong_type"
    assert sniff_kind(b"GIF89a....") is None


def test_kind_not_allowed_for_this_work():
    with pytest.raises(UploadRejected) as exc:
        inspect_upload(_image("PNG"), allowed={"pdf"})
    assert "PDF" in exc.value.reason


def test_too_large_file():
    with pytest.raises(UploadRejected) as exc:
        inspect_upload(_image("PNG"), max_bytes=10)
    assert exc.value.code == "too_large"


@pytest.mark.parametrize("side", [10_000, 50_000])
def test_decompression_bomb_is_refused_before_decoding(side):
    bomb = _png_header_claiming(side, side)
    assert len(bomb) < 2_000
    with pytest.raises(UploadRejected) as exc:
        inspect_upload(bomb)
    assert exc.value.code == "too_many_pixels"


def test_pixel_limit_is_configurable():
    with pytest.raises(UploadRejected):
        inspect_upload(_image("PNG", (200, 200)), max_pixels=10_000)


@pytest.mark.parametrize("lenient_elsewhere", [False, True])
def test_truncated_image_is_refused(lenient_elsewhere, monkeypatch):
    from PIL import ImageFile

    # WeasyPrint, imported by the exporters, turns on lenient decoding for the whole process.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", lenient_elsewhere)
    data = _image("JPEG", (300, 300))
    with pytest.raises(UploadRejected) as exc:
        inspect_upload(data[: len(data) // 2])
    assert exc.value.code == "corrupt"


def test_pdf_with_javascript_is_refused():
    data = b"%PDF-1.4\n1 0 obj << /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj\n%%EOF\n"
    with pytest.raises(UploadRejected) as exc:
        inspect_upload(data)
    assert exc.value.code == "unsafe_pdf"


def test_empty_file():
    with pytest.raises(UploadRejected) as exc:
        inspect_upload(b"")
    assert exc.value.code == "empty"


# ------------------------------------------------------------------------ fine-tuned models (.safetensors)


def _safetensors(names, rank=4, dim=8):
    """A LoRA-shaped safetensors file written from the format rules (zero weights)."""
    import json

    header, offset = {"__metadata__": {"aigc_contest.steps": "50"}}, 0
    for name in names:
        shape = [rank, dim] if ("down" in name or "lora_A" in name) else [dim, rank]
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + rank * dim * 4]}
        offset += rank * dim * 4
    encoded = json.dumps(header).encode()
    return struct.pack("<Q", len(encoded)) + encoded + b"\0" * offset


_LORA_NAMES = [
    "unet.mid_block.attentions.0.transformer_blocks.0.attn1.to_q.lora.down.weight",
    "unet.mid_block.attentions.0.transformer_blocks.0.attn1.to_q.lora.up.weight",
]


def test_lora_safetensors_is_accepted_where_allowed():
    data = _safetensors(_LORA_NAMES)
    assert sniff_kind(data[:1024]) == "safetensors"
    info = inspect_upload(data, allowed={"safetensors", "pdf"})
    assert (info.kind, info.mime, info.extension) == ("safetensors", "application/octet-stream", ".safetensors")
    assert info.meta["rank"] == 4 and info.meta["target_modules"] == ["to_q"]
    assert info.meta["training"] == {"steps": "50"} and info.size == len(data)


def test_model_files_are_not_accepted_by_default():
    with pytest.raises(UploadRejected) as exc:
        inspect_upload(_safetensors(_LORA_NAMES))
    assert exc.value.code == "wrong_type"


def test_safetensors_that_is_not_a_lora_is_refused():
    with pytest.raises(UploadRejected) as exc:
        inspect_upload(_safetensors(["model.diffusion_model.out.2.weight"]), allowed={"safetensors"})
    assert exc.value.code == "not_lora" and "not a LoRA" in exc.value.reason


def test_cut_short_safetensors_is_refused():
    with pytest.raises(UploadRejected) as exc:
        inspect_upload(_safetensors(_LORA_NAMES)[:-10], allowed={"safetensors"})
    assert exc.value.code == "corrupt"


def test_pickle_checkpoint_is_never_a_model_upload():
    import pickle

    with pytest.raises(UploadRejected) as exc:
        inspect_upload(pickle.dumps({"weights": [1, 2, 3]}), allowed={"safetensors"})
    assert exc.value.code == "wrong_type"
