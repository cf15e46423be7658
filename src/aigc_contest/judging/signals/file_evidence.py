"""What an uploaded picture's own metadata says about how it was made (advisory, for "use of AI models").

Read from the file alone, never from the network:
- this platform's provenance chunk, AUTOMATIC1111 ``parameters`` text and ComfyUI ``prompt`` graphs
  (:func:`aigc_contest.generation.provenance.read_provenance`);
- the GB 45438-2025 implicit label (``AIGC`` chunk);
- C2PA content credentials: their presence is seen in the bytes (a ``caBX`` chunk in PNG, a JUMBF APP11
  segment in JPEG, a ``C2PA`` chunk in WebP); their manifest is read with ``c2pa-python`` where installed;
- camera EXIF (make, model, the time the shutter fired) and the editing software named in EXIF.

Each finding is one sentence for a judge. None of them decides anything: metadata is easy to strip and
easy to forge, so the findings say what the file claims, and where claims disagree with each other.
"""

from __future__ import annotations

import io
import json
import logging
import struct
from dataclasses import dataclass, field
from typing import Any, Literal

from aigc_contest.generation.provenance import AIGC_LABEL_GENERATED, ProvenanceInfo, read_provenance

log = logging.getLogger(__name__)

Level = Literal["info", "notice"]  # notice: something a judge may want to look at twice

_EXIF_MAKE, _EXIF_MODEL, _EXIF_SOFTWARE, _EXIF_IFD = 0x010F, 0x0110, 0x0131, 0x8769
_EXIF_DATETIME_ORIGINAL = 0x9003


@dataclass(frozen=True)
class Finding:
    code: str  # stable, for tests and filters: "generator", "camera", "c2pa", ...
    level: Level
    sentence: str


@dataclass
class FileEvidence:
    """The facts read from one file, and the findings a judge sees."""

    file_format: str | None = None
    generator: Literal["aigc-contest", "a1111", "comfyui", "none"] = "none"
    prompt: str | None = None
    model: str | None = None
    model_hash: str | None = None
    seed: int | None = None
    steps: int | None = None
    ai_label: bool | None = None  # True/False where a GB 45438 label is present, None where absent
    c2pa_present: bool = False
    c2pa_manifest: dict[str, Any] | None = None
    camera: str | None = None  # "Make Model"
    taken_at: str | None = None
    software: str | None = None
    findings: list[Finding] = field(default_factory=list)

    @property
    def notices(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "notice"]

    def summary(self) -> str:
        """One sentence: the first notice if any, else the first finding."""
        if not self.findings:
            return "The file carries no metadata about how it was made."
        return (self.notices or self.findings)[0].sentence


def file_evidence(data: bytes, *, ai_category: bool = True) -> FileEvidence:
    """Read a picture's metadata. ``ai_category``: the category expects AI-made pictures, so a camera
    photograph is worth a second look. Never raises on foreign, bare or broken files."""
    from PIL import Image, UnidentifiedImageError

    evidence = FileEvidence()
    try:
        with Image.open(io.BytesIO(data)) as image:
            evidence.file_format = image.format
            exif = image.getexif()
    except (UnidentifiedImageError, OSError, ValueError):
        evidence.findings.append(
            Finding("unreadable", "notice", "The file is not a picture that can be read.")
        )
        return evidence

    info = _provenance(data) if evidence.file_format == "PNG" else None
    if info is not None:
        _from_provenance(evidence, info)
    _from_exif(evidence, exif)
    evidence.c2pa_present = has_c2pa(data, evidence.file_format)
    if evidence.c2pa_present:
        evidence.c2pa_manifest = read_c2pa(data, evidence.file_format)
    _judge(evidence, info, ai_category)
    return evidence


def _provenance(data: bytes) -> ProvenanceInfo | None:
    try:
        return read_provenance(data)
    except (ValueError, OSError):
        return None


def _from_provenance(evidence: FileEvidence, info: ProvenanceInfo) -> None:
    evidence.generator = info.source
    evidence.prompt = info.prompt
    evidence.model = info.model
    evidence.model_hash = info.model_hash
    evidence.seed = info.seed
    evidence.steps = info.steps
    if info.aigc_label is not None:
        evidence.ai_label = info.aigc_label.get("Label") == AIGC_LABEL_GENERATED


def _from_exif(evidence: FileEvidence, exif: Any) -> None:
    make = str(exif.get(_EXIF_MAKE) or "").strip().strip("\x00")
    model = str(exif.get(_EXIF_MODEL) or "").strip().strip("\x00")
    if make or model:
        evidence.camera = (
            model if make and model.lower().startswith(make.lower()) else f"{make} {model}".strip()
        )
    software = str(exif.get(_EXIF_SOFTWARE) or "").strip().strip("\x00")
    evidence.software = software or None
    try:
        taken = exif.get_ifd(_EXIF_IFD).get(_EXIF_DATETIME_ORIGINAL)
    except (KeyError, ValueError, struct.error):
        taken = None
    evidence.taken_at = str(taken).strip() if taken else None


def _judge(evidence: FileEvidence, info: ProvenanceInfo | None, ai_category: bool) -> None:
    add = evidence.findings.append
    names = {"aigc-contest": "this platform", "a1111": "AUTOMATIC1111", "comfyui": "ComfyUI"}
    if evidence.generator != "none":
        made = f"The file says it was made with {names[evidence.generator]}"
        made += f" using the model {evidence.model}" if evidence.model else ""
        made += f" from the prompt “{_short(evidence.prompt)}”." if evidence.prompt else "."
        add(Finding("generator", "info", made))
    if info is not None and evidence.generator == "aigc-contest":
        _check_own_record(evidence, info)
    if evidence.ai_label is not None:
        if evidence.ai_label:
            add(Finding("ai-label", "info", "It carries the metadata label that marks AI-generated content."))
        else:
            add(Finding("ai-label", "notice", "Its AI-content label says it is not AI-generated."))
    if evidence.c2pa_present:
        tool = _c2pa_generator(evidence.c2pa_manifest)
        if evidence.c2pa_manifest is None:
            add(Finding("c2pa", "info", "It carries content credentials (C2PA) that could not be read here."))
        else:
            add(
                Finding(
                    "c2pa", "info", f"Its content credentials (C2PA) name {tool or 'no tool'} as the maker."
                )
            )
    if evidence.camera:
        when = f", taken {evidence.taken_at}" if evidence.taken_at else ""
        sentence = f"Its camera data names a {evidence.camera}{when}"
        if ai_category and evidence.generator == "none":
            add(Finding("camera", "notice", sentence + ": it may be a photograph rather than an AI picture."))
        else:
            add(Finding("camera", "info", sentence + "."))
    if evidence.software and evidence.generator == "none":
        add(Finding("software", "info", f"Its metadata names the software {_short(evidence.software)}."))
    if ai_category and evidence.generator == "none" and not evidence.c2pa_present and not evidence.camera:
        add(
            Finding(
                "no-metadata",
                "info",
                "The file says nothing about how it was made (metadata may have been removed).",
            )
        )


def _check_own_record(evidence: FileEvidence, info: ProvenanceInfo) -> None:
    """Our PNGs carry the record twice (JSON and A1111 text) and a GB label: disagreement means an edit."""
    add = evidence.findings.append
    chunks = info.text_chunks
    parameters = chunks.get("parameters")
    if parameters is None:
        add(Finding("inconsistent", "notice", "Part of the platform's record is missing from the file."))
    elif info.prompt and not parameters.startswith(info.prompt.strip()[:40]):
        add(
            Finding(
                "inconsistent", "notice", "The two copies of the platform's record give different prompts."
            )
        )
    if info.aigc_label is None:
        add(Finding("inconsistent", "notice", "The platform's AI-content label is missing from the file."))


def has_c2pa(data: bytes, file_format: str | None) -> bool:
    """Whether the bytes hold a C2PA manifest store (seen without parsing it)."""
    if file_format == "PNG":
        return _png_has_chunk(data, b"caBX")
    if file_format == "JPEG":
        return _jpeg_has_jumbf(data)
    if file_format == "WEBP":
        return b"C2PA" in data[12:] and data[:4] == b"RIFF"
    return False


def _png_has_chunk(data: bytes, wanted: bytes) -> bool:
    position = 8
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        if kind == wanted:
            return True
        if kind == b"IEND":
            return False
        position += 12 + length
    return False


def _jpeg_has_jumbf(data: bytes) -> bool:
    position = 2
    while position + 4 <= len(data) and data[position] == 0xFF:
        marker = data[position + 1]
        if marker in (0xD9, 0xDA):  # end of image, start of scan: no more metadata segments
            return False
        length = struct.unpack(">H", data[position + 2 : position + 4])[0]
        segment = data[position + 4 : position + 2 + length]
        if marker == 0xEB and b"jumb" in segment[:64] and b"c2pa" in segment:
            return True
        position += 2 + length
    return False


def read_c2pa(data: bytes, file_format: str | None) -> dict[str, Any] | None:
    """The manifest store as JSON through c2pa-python, or None where the package is missing or fails."""
    try:
        import c2pa
    except ImportError:
        return None
    mime = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}.get(file_format or "")
    if mime is None:
        return None
    try:
        reader = c2pa.Reader(mime, io.BytesIO(data))
        store = json.loads(reader.json())
    except Exception as exc:  # noqa: BLE001 - a foreign library's many error types; evidence, not a gate
        log.info("c2pa manifest unreadable: %s", exc)
        return None
    return store if isinstance(store, dict) else None


def _c2pa_generator(store: dict[str, Any] | None) -> str | None:
    if not store:
        return None
    manifests = store.get("manifests") or {}
    active = manifests.get(store.get("active_manifest")) if isinstance(manifests, dict) else None
    if not isinstance(active, dict):
        return None
    generator = active.get("claim_generator")
    if isinstance(generator, str) and generator:
        return _short(generator.split(" ")[0].replace("_", " "))
    infos = active.get("claim_generator_info")
    if isinstance(infos, list) and infos and isinstance(infos[0], dict):
        return _short(str(infos[0].get("name") or "")) or None
    return None


def _short(text: str | None, limit: int = 80) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
