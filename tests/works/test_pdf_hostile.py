"""Hostile PDFs, written by hand: every way of hiding an action must be refused, and an accepted PDF is
rebuilt with nothing active left in it."""

from __future__ import annotations

import io
import zlib

import pytest

from aigc_contest.works.pdfsafe import make_safe_pdf, raw_names
from aigc_contest.works.uploads import UploadRejected, inspect_upload

PAGE_CONTENT = b"BT /F1 24 Tf 72 720 Td (Hello) Tj ET"


def build_pdf(objects: dict[int, bytes], *, root: int = 1, version: bytes = b"1.4") -> bytes:
    """A PDF with a correct cross-reference table for `objects` (number -> body between obj/endobj)."""
    out = io.BytesIO()
    out.write(b"%PDF-" + version + b"\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number in sorted(objects):
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n")
    size = max(objects) + 1
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
    for number in range(1, size):
        if number in offsets:
            out.write(b"%010d 00000 n \n" % offsets[number])
        else:
            out.write(b"0000000000 65535 f \n")
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, root, xref))
    return out.getvalue()


def _stream(body: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(body), extra) + body + b"\nendstream"


def base_objects(*, catalog_extra: bytes = b"", page_extra: bytes = b"") -> dict[int, bytes]:
    return {
        1: b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R " + page_extra + b">>",
        4: _stream(PAGE_CONTENT),
        5: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }


def plain_pdf() -> bytes:
    return build_pdf(base_objects())


def _refused(data: bytes) -> None:
    # Today's byte search lets each of these through; the parser must not.
    with pytest.raises(UploadRejected) as exc:
        inspect_upload(data)
    assert exc.value.code == "unsafe_pdf", exc.value.reason


def test_plain_hand_made_pdf_is_accepted_and_rebuilt():
    info = inspect_upload(plain_pdf())
    assert info.kind == "pdf" and info.pages == 1
    assert info.content.startswith(b"%PDF-") and len(info.content) == info.size
    from pypdf import PdfReader

    page = PdfReader(io.BytesIO(info.content)).pages[0]
    assert "Hello" in page.extract_text()
    assert [float(v) for v in page.mediabox] == [0, 0, 612, 792]


def test_name_escapes_are_decoded():
    assert list(raw_names(b"/J#61vaScript /#4A#53 (/Launch) % /EmbeddedFiles\n/Ok")) == [
        "JavaScript",
        "JS",
        "Ok",
    ]


@pytest.mark.parametrize(
    "action",
    [
        b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>",  # escaped action type and key
        b"<< /S /#4aavaScript /JS (app.alert(1)) >>",
        b"<< /Type /Action /S /JavaScript /JS 6 0 R >>",
    ],
    ids=["escaped-type-and-key", "escaped-first-letter", "script-in-stream"],
)
def test_open_action_scripts_in_the_catalog(action):
    objects = base_objects(catalog_extra=b"/OpenAction 7 0 R ")
    objects[6] = _stream(b"app.alert(1)")
    objects[7] = action
    _refused(build_pdf(objects))


def test_javascript_in_an_annotations_action():
    objects = base_objects(page_extra=b"/Annots [6 0 R] ")
    objects[6] = b"<< /Type /Annot /Subtype /Link /Rect [0 0 100 100] /A << /S /J#61vaScript /JS (x) >> >>"
    _refused(build_pdf(objects))


def test_additional_actions_on_a_page():
    objects = base_objects(page_extra=b"/AA << /O << /S /JavaScr#69pt /JS (app.alert(1)) >> >> ")
    _refused(build_pdf(objects))


def test_open_action_of_an_unknown_kind_is_refused():
    # Not a forbidden name at all: the structural walk refuses any action a plain document has no use for.
    objects = base_objects(catalog_extra=b"/OpenAction << /S /SetOCGState /State [] >> ")
    _refused(build_pdf(objects))


def test_acroform_with_xfa():
    objects = base_objects(catalog_extra=b"/AcroForm << /Fields [] /X#46A 6 0 R >> ")
    objects[6] = _stream(b"<xdp:xdp><script>app.alert(1)</script></xdp:xdp>")
    _refused(build_pdf(objects))


@pytest.mark.parametrize("uri", [b"(javascript:app.alert(1))", b"<6A617661736372697074 3A616C6572742831 29>",
                                 b"( \tJaVaScRiPt:alert(1))", b"(file:///etc/passwd)", b"(data:text/html,x)"])  # fmt: skip
def test_uri_actions_with_other_schemes(uri):
    objects = base_objects(page_extra=b"/Annots [6 0 R] ")
    objects[6] = b"<< /Type /Annot /Subtype /Link /Rect [0 0 100 100] /A << /S /URI /URI " + uri + b" >> >>"
    _refused(build_pdf(objects))


def test_action_inside_a_compressed_object_stream():
    # Object 7 (the action) lives only inside object stream 8, referenced by a cross-reference stream.
    action = b"<< /S /JavaScript /JS (app.alert(1)) >>"
    header = b"7 0 "
    objstm_body = zlib.compress(header + action)
    objects = base_objects(catalog_extra=b"/OpenAction 7 0 R ")
    out = io.BytesIO()
    out.write(b"%PDF-1.5\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n")
    offsets[8] = out.tell()
    out.write(b"8 0 obj\n" + _stream(objstm_body, b"/Type /ObjStm /N 1 /First %d /Filter /FlateDecode " % len(header))
              + b"\nendobj\n")  # fmt: skip
    xref_at = out.tell()
    rows = [b"\x00" + (0).to_bytes(4, "big") + b"\xff\xff"]
    for number in range(1, 10):
        if number == 7:
            rows.append(b"\x02" + (8).to_bytes(4, "big") + (0).to_bytes(2, "big"))
        elif number == 9:
            rows.append(b"\x01" + xref_at.to_bytes(4, "big") + b"\x00\x00")
        elif number in offsets:
            rows.append(b"\x01" + offsets[number].to_bytes(4, "big") + b"\x00\x00")
        else:
            rows.append(b"\x00" + (0).to_bytes(4, "big") + b"\xff\xff")
    table = b"".join(rows)
    out.write(b"9 0 obj\n" + _stream(table, b"/Type /XRef /Size 10 /W [1 4 2] /Root 1 0 R ") + b"\nendobj\n")
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref_at)
    data = out.getvalue()
    assert b"JavaScript" not in data  # invisible to a byte search
    from pypdf import PdfReader

    assert PdfReader(io.BytesIO(data)).trailer["/Root"]["/OpenAction"]["/S"] == "/JavaScript"  # a real file
    _refused(data)


def test_incremental_update_after_eof():
    original = plain_pdf()
    start = len(original)
    update = b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R /OpenAction 6 0 R >>\nendobj\n"
    action_at = start + len(update)
    update += b"6 0 obj\n<< /S /JavaScript /JS (app.alert(1)) >>\nendobj\n"
    previous = int(original.rsplit(b"startxref", 1)[1].split()[0])
    xref_at = start + len(update)
    update += b"xref\n0 2\n0000000000 65535 f \n%010d 00000 n \n6 1\n%010d 00000 n \n" % (
        start,
        action_at,
    ) + b"trailer\n<< /Size 7 /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (previous, xref_at)
    data = original + update
    from pypdf import PdfReader

    assert "/OpenAction" in PdfReader(io.BytesIO(data)).trailer["/Root"]  # the update is what a viewer sees
    _refused(data)


def test_dead_object_of_an_earlier_revision_is_still_refused():
    objects = base_objects()
    objects[9] = b"<< /S /Launch /F (cmd.exe) >>"  # referenced by nothing
    _refused(build_pdf(objects))


@pytest.mark.parametrize(
    "extra,objects_extra",
    [
        (b"/OpenAction << /S /Launch /F (calc.exe) >> ", {}),
        (
            b"/Names << /EmbeddedFiles << /Names [(a.exe) 6 0 R] >> >> ",
            {
                6: b"<< /Type /Filespec /F (a.exe) /EF << /F 7 0 R >> >>",
                7: _stream(b"MZ", b"/Type /EmbeddedFile "),
            },
        ),
        (b"/OpenAction << /S /SubmitForm /F << /FS /URL /F (https://evil.example/) >> >> ", {}),
        (b"/OpenAction << /S /ImportData /F (data.fdf) >> ", {}),
        (b"/OpenAction << /S /GoToR /F (other.pdf) /D [0 /Fit] >> ", {}),
        (b"/OpenAction << /S /GoToE /D [0 /Fit] >> ", {}),
    ],
    ids=["launch", "embedded-files", "submit-form", "import-data", "gotor", "gotoe"],
)
def test_outward_reaching_actions(extra, objects_extra):
    objects = base_objects(catalog_extra=extra)
    objects.update(objects_extra)
    _refused(build_pdf(objects))


def test_rich_media_annotation():
    objects = base_objects(page_extra=b"/Annots [6 0 R] ")
    objects[6] = b"<< /Type /Annot /Subtype /Rich#4Dedia /Rect [0 0 100 100] >>"
    _refused(build_pdf(objects))


def test_harmless_extras_are_accepted_and_left_out_of_the_rebuilt_file():
    objects = base_objects(
        catalog_extra=b"/OpenAction [3 0 R /Fit] /Outlines 6 0 R /PageMode /UseOutlines ",
        page_extra=b"/Annots [7 0 R 8 0 R] /AA << /O << /S /Named /N /NextPage >> >> ",
    )
    objects[6] = b"<< /Type /Outlines /Count 0 >>"
    objects[7] = (
        b"<< /Type /Annot /Subtype /Link /Rect [10 10 50 50] /A << /S /URI /URI (https://example.org/) >> >>"
    )
    objects[8] = b"<< /Type /Annot /Subtype /Text /Rect [60 60 80 80] /Contents (a note) >>"
    info = inspect_upload(build_pdf(objects))
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(info.content))
    root = reader.trailer["/Root"]
    assert set(root) <= {"/Type", "/Pages"}
    page = reader.pages[0]
    assert "/AA" not in page
    annots = [a.get_object() for a in page["/Annots"]]
    assert len(annots) == 1 and annots[0]["/A"]["/URI"] == "https://example.org/"
    assert "Hello" in page.extract_text()


def test_rebuilt_file_passes_its_own_check():
    once = make_safe_pdf(plain_pdf())
    twice = make_safe_pdf(once.data)
    assert twice.pages == once.pages == 1


@pytest.mark.parametrize("data", [b"%PDF-1.4\nnot really\n%%EOF\n", b"%PDF-1.7\n" + b"\x00" * 100])
def test_unreadable_pdf_is_refused(data):
    with pytest.raises(UploadRejected) as exc:
        inspect_upload(data)
    assert exc.value.code == "corrupt"
