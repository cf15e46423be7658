"""Provenance written into every PNG, and a reader that also understands other tools' PNGs.

Three text chunks are written (Pillow picks tEXt for Latin-1 text and iTXt otherwise, so Chinese prompts
survive):
- `parameters`: the AUTOMATIC1111 convention, so common image tools show prompt, seed and settings;
- `aigc-contest`: JSON with the whole provenance (request, model identity and weights hash, time, user);
- `AIGC`: the implicit label of GB 45438-2025 (标识办法 implicit metadata label), a JSON object with the
  keys Label, ContentProducer, ProduceID, ReservedCode1, ContentPropagator, PropagateID, ReservedCode2.

`read_provenance` reads our own chunks, A1111 `parameters` text and ComfyUI `prompt` / `workflow` JSON.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
import uuid
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from aigc_contest.generation.types import Provenance

PARAMETERS_KEY = "parameters"
JSON_KEY = "aigc-contest"
AIGC_LABEL_KEY = "AIGC"
PRODUCER = "aigc-contest"
# GB 45438-2025: "1" marks content that is AI-generated (2: may be, 3: suspected).
AIGC_LABEL_GENERATED = "1"

# Scheduler names as A1111 writes them in "Sampler:", so other tools recognise the settings.
_SAMPLER_LABELS = {
    "euler": "Euler",
    "euler_a": "Euler a",
    "ddim": "DDIM",
    "lcm": "LCM",
    "dpm++": "DPM++ 2M",
    "dpm++_karras": "DPM++ 2M Karras",
    "dpm++_sde": "DPM++ SDE",
    "pndm": "PLMS",
    "heun": "Heun",
    "unipc": "UniPC",
}


class ProvenanceInfo(BaseModel):
    """What a PNG says about how it was made; fields are None where the file does not say."""

    source: Literal["aigc-contest", "a1111", "comfyui", "none"] = "none"
    prompt: str | None = None
    original_prompt: str | None = None
    negative_prompt: str | None = None
    seed: int | None = None
    steps: int | None = None
    sampler: str | None = None
    cfg: float | None = None
    width: int | None = None
    height: int | None = None
    model: str | None = None
    model_hash: str | None = None
    provenance: Provenance | None = None  # our full record, when the PNG is ours
    aigc_label: dict[str, str] | None = None  # the GB 45438-2025 implicit label, when present
    parameters: dict[str, str] = {}  # every "Key: value" pair of an A1111 parameters line
    text_chunks: dict[str, str] = {}  # all text chunks, raw


# ------------------------------------------------------------------------------------- server paths

# Where an absolute file-system path can begin: a file:// URL, a UNC share (\\\\server\\share), a Windows
# drive, a home folder (~/) or a POSIX root ("/x", not "//", so http://host/... URLs are left alone).
_PATH_START = r"(?:file://|\\\\(?=[^\s\\/])|[A-Za-z]:[\\/]|~[\\/]|/(?=[^\s/\\]))"
# Where a path ends: a line end, a quote, a bracket or "<>", a character no file name holds (":" too, as in
# A1111's "<lora:/root/x:0.8>"), a comma before the next "Key:" pair or the end, or a space before the next
# path. Spaces inside a folder name ("C:\\Users\\Mei Chan\\...") are part of the path.
_PATH_END = (
    r"(?:[\r\n\t\"'`<>()\[\]{}|;:*?]"
    r"|,\s*(?:[A-Za-z][\w \-]{0,40}:|$)"
    rf"|\s(?={_PATH_START})"
    r"|$)"
)
# The path: its start after a boundary (line start, space, ":" "<" "(" "=" a quote...), then everything up to
# its end. A root path ("/a/b") needs two parts, so a lone "/word" or "1/2" is not taken for one.
_PATH_IN_TEXT = re.compile(
    rf"(?<![\w.\-/\\~])(?P<path>(?:file://|\\\\(?=[^\s\\/])|[A-Za-z]:[\\/]|~[\\/])(?:(?!{_PATH_END}).)*"
    rf"|/(?=[^\s/\\])(?:(?!{_PATH_END})[^\\/])+[\\/](?:(?!{_PATH_END}).)*)"
)


def _last_part(match: re.Match[str]) -> str:
    path = match.group("path")
    spaces = path[len(path.rstrip()) :]  # the spaces before what follows the path stay
    parts = [part for part in re.split(r"[\\/]", path.rstrip()) if part]
    last = parts[-1] if parts else ""
    return ("" if last.lower() == "file:" or (len(last) == 2 and last[1] == ":") else last) + spaces


def is_local_source(source: str) -> bool:
    """Whether a model or LoRA source names a place on this machine's disk (not a hub id or remote name)."""
    if not source:
        return False
    if source.startswith(("/", "~", ".", "\\")) or re.match(r"[A-Za-z]:[\\/]", source):
        return True
    try:
        return Path(source).expanduser().exists()
    except (OSError, ValueError):
        return False


def public_source(name: str, source: str) -> str:
    """How a provenance record names a model: a hub id or remote model name as it is; a local folder or
    file by the name it has in the models file (`name`), never by its path."""
    return name if is_local_source(source) else source


def public_lora_name(name: str) -> str:
    """A LoRA as a record names it: a hub id as it is, a local file by its file name only."""
    if not is_local_source(name):
        return name
    return re.split(r"[\\/]", name.rstrip("/\\"))[-1] or "lora"


def without_paths(text: str) -> str:
    """`text` with every absolute path cut down to its last part ("/srv/models/image-tiny" -> "image-tiny",
    "C:\\Users\\Mei Chan\\sd.safetensors" -> "sd.safetensors", "file:///root/models/sd" -> "sd")."""
    return _PATH_IN_TEXT.sub(_last_part, text)


def public_provenance(provenance: Provenance) -> Provenance:
    """The record with no server path in it: the model by its configured name, LoRAs by file name, any
    other path in the free-form fields cut to its last part."""
    from aigc_contest.generation.types import LoraSpec

    model_id = provenance.model if is_local_source(provenance.model_id) else provenance.model_id
    loras = [
        LoraSpec(name=public_lora_name(lora.name), scale=lora.scale, sha256=lora.sha256)
        for lora in provenance.loras
    ]
    extra = json.loads(without_paths_json(json.dumps(provenance.extra, ensure_ascii=False, default=str)))
    return provenance.model_copy(update={"model_id": model_id, "loras": loras, "extra": extra})


def without_paths_json(text: str) -> str:
    """A JSON document with no server path in its strings: `model_id` paths become the record's `model`
    name, other path strings their last part. Text that is not JSON is returned with paths cut."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return without_paths(text)

    def clean(value: Any, parent: dict[str, Any] | None = None, key: str | None = None) -> Any:
        if isinstance(value, dict):
            return {k: clean(v, value, k) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(item) for item in value]
        if isinstance(value, str):
            if key == "model_id" and parent is not None and is_local_source(value):
                return str(parent.get("model") or public_lora_name(value))
            if key == "name" and is_local_source(value):
                return public_lora_name(value)
            return without_paths(value)
        return value

    return json.dumps(clean(data), ensure_ascii=False, separators=(",", ":"))


# ---------------------------------------------------------------------------------------------- writing


def sampler_label(scheduler: str | None) -> str | None:
    if scheduler is None:
        return None
    return _SAMPLER_LABELS.get(scheduler.lower(), scheduler)


def _a1111_value(value: Any) -> str:
    text = str(value)
    # A1111 quotes values that would break the comma-separated line.
    if any(c in text for c in ',:"\n'):
        return json.dumps(text, ensure_ascii=False)
    return text


def a1111_parameters(provenance: Provenance) -> str:
    """`prompt\\nNegative prompt: …\\nSteps: N, Sampler: …, CFG scale: …, Seed: …, Size: WxH, Model: …`."""
    pairs: list[tuple[str, Any]] = []
    if provenance.steps is not None:
        pairs.append(("Steps", provenance.steps))
    if (label := sampler_label(provenance.scheduler)) is not None:
        pairs.append(("Sampler", label))
    if provenance.guidance is not None:
        pairs.append(("CFG scale", f"{provenance.guidance:g}"))
    if provenance.seed is not None:
        pairs.append(("Seed", provenance.seed))
    if provenance.width and provenance.height:
        pairs.append(("Size", f"{provenance.width}x{provenance.height}"))
    if provenance.model_hash:
        pairs.append(("Model hash", provenance.model_hash[:10]))
    pairs.append(("Model", provenance.model))
    if provenance.loras:
        pairs.append(("Lora hashes", ", ".join(f"{lora.name}: {lora.scale:g}" for lora in provenance.loras)))
    if provenance.original_prompt:
        pairs.append(("Original prompt", provenance.original_prompt))
    if provenance.is_test_model:
        pairs.append(("Test model", "random weights"))
    lines = [provenance.prompt]
    if provenance.negative_prompt:
        lines.append(f"Negative prompt: {provenance.negative_prompt}")
    lines.append(", ".join(f"{key}: {_a1111_value(value)}" for key, value in pairs))
    return "\n".join(lines)


def aigc_label(
    provenance: Provenance,
    *,
    producer: str = PRODUCER,
    produce_id: str | None = None,
    propagator: str = "",
    propagate_id: str = "",
) -> dict[str, str]:
    """The GB 45438-2025 implicit label. ReservedCode1 carries a digest of our provenance JSON so a later
    check can tell whether the record was edited."""
    digest = hashlib.sha256(provenance.model_dump_json().encode()).hexdigest()
    return {
        "Label": AIGC_LABEL_GENERATED,
        "ContentProducer": producer,
        "ProduceID": produce_id or uuid.uuid4().hex,
        "ReservedCode1": f"sha256:{digest}",
        "ContentPropagator": propagator,
        "PropagateID": propagate_id,
        "ReservedCode2": "",
    }


def png_with_provenance(image: Any, provenance: Provenance, *, produce_id: str | None = None) -> bytes:
    """Encode a PIL image as PNG bytes with the three provenance chunks."""
    from PIL.PngImagePlugin import PngInfo

    provenance = public_provenance(provenance)  # a file leaves the server: no paths of it go along
    info = PngInfo()
    info.add_text(PARAMETERS_KEY, a1111_parameters(provenance))
    info.add_text(JSON_KEY, provenance.model_dump_json())
    label = aigc_label(provenance, produce_id=produce_id)
    info.add_text(AIGC_LABEL_KEY, json.dumps(label, ensure_ascii=False, separators=(",", ":")))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------- reading

# One "Key: value" pair of an A1111 parameters line; values may be JSON-quoted.
_PAIR = re.compile(r'\s*([\w][\w \-/().]*?):\s*("(?:\\.|[^\\"])*"|[^,]*)(?:,|$)')


def parse_a1111(text: str) -> ProvenanceInfo:
    """Parse A1111 `parameters`: prompt lines, an optional `Negative prompt:` part, then one settings line."""
    lines = text.strip("\n").split("\n")
    settings_line = ""
    if lines and re.match(r"\s*Steps:\s*\d", lines[-1]):
        settings_line = lines.pop()
    prompt_lines: list[str] = []
    negative_lines: list[str] = []
    target = prompt_lines
    for line in lines:
        if line.startswith("Negative prompt:"):
            target = negative_lines
            line = line[len("Negative prompt:") :].lstrip()
        target.append(line)
    pairs: dict[str, str] = {}
    for match in _PAIR.finditer(settings_line):
        key, value = match.group(1).strip(), match.group(2).strip()
        if value.startswith('"'):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                value = value.strip('"')
        pairs[key] = value
    width = height = None
    if size := re.fullmatch(r"(\d+)x(\d+)", pairs.get("Size", "")):
        width, height = int(size.group(1)), int(size.group(2))
    return ProvenanceInfo(
        source="a1111",
        prompt="\n".join(prompt_lines),
        negative_prompt="\n".join(negative_lines) if negative_lines else None,
        seed=_as_int(pairs.get("Seed")),
        steps=_as_int(pairs.get("Steps")),
        sampler=pairs.get("Sampler"),
        cfg=_as_float(pairs.get("CFG scale")),
        width=width,
        height=height,
        model=pairs.get("Model"),
        model_hash=pairs.get("Model hash"),
        original_prompt=pairs.get("Original prompt"),
        parameters=pairs,
    )


_SAMPLER_NODES = ("KSampler", "KSamplerAdvanced", "SamplerCustom", "SamplerCustomAdvanced")
_CHECKPOINT_NODES = ("CheckpointLoaderSimple", "CheckpointLoader", "UNETLoader", "unCLIPCheckpointLoader")
_LATENT_NODES = ("EmptyLatentImage", "EmptySD3LatentImage", "EmptyHunyuanLatentImage")


def _comfy_text(graph: dict[str, Any], link: Any, depth: int = 0) -> str | None:
    """Follow a conditioning input ([node_id, output_index]) back to the first node holding text."""
    if depth > 20 or not (isinstance(link, list) and link):
        return None
    node = graph.get(str(link[0]))
    if not isinstance(node, dict):
        return None
    inputs = node.get("inputs", {})
    for key in ("text", "text_g", "prompt"):
        if isinstance(inputs.get(key), str):
            return inputs[key]
    for value in inputs.values():
        if isinstance(value, list) and (found := _comfy_text(graph, value, depth + 1)) is not None:
            return found
    return None


def parse_comfyui(prompt_json: str) -> ProvenanceInfo:
    """Parse ComfyUI's `prompt` chunk: {node_id: {"class_type", "inputs"}} (the API-format graph)."""
    graph = json.loads(prompt_json)
    if not isinstance(graph, dict):
        raise ValueError("a ComfyUI prompt chunk is a JSON object of nodes")
    info = ProvenanceInfo(source="comfyui")
    for node in graph.values():
        if not isinstance(node, dict):
            continue
        kind, inputs = node.get("class_type"), node.get("inputs", {})
        if kind in _SAMPLER_NODES and info.seed is None:
            info.seed = _as_int(inputs.get("seed", inputs.get("noise_seed")))
            info.steps = _as_int(inputs.get("steps"))
            info.cfg = _as_float(inputs.get("cfg"))
            sampler = inputs.get("sampler_name")
            info.sampler = (
                f"{sampler} {inputs['scheduler']}" if sampler and inputs.get("scheduler") else sampler
            )
            info.prompt = _comfy_text(graph, inputs.get("positive"))
            info.negative_prompt = _comfy_text(graph, inputs.get("negative"))
        elif kind in _CHECKPOINT_NODES and info.model is None:
            info.model = inputs.get("ckpt_name") or inputs.get("unet_name")
        elif kind in _LATENT_NODES and info.width is None:
            info.width, info.height = _as_int(inputs.get("width")), _as_int(inputs.get("height"))
    return info


def read_provenance(png: bytes | str | Path) -> ProvenanceInfo:
    """What a PNG (bytes or a path) says about how it was made. Never raises on foreign or bare PNGs."""
    from PIL import Image, UnidentifiedImageError

    data = png if isinstance(png, bytes) else Path(png).read_bytes()
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            chunks = {str(k): str(v) for k, v in getattr(image, "text", {}).items()}
            size = image.size
    except UnidentifiedImageError as exc:
        raise ValueError("not an image file") from exc

    info = ProvenanceInfo()
    if JSON_KEY in chunks:
        try:
            record = Provenance.model_validate_json(chunks[JSON_KEY])
        except ValueError:
            record = None
        if record is not None:
            info = ProvenanceInfo(
                source="aigc-contest",
                prompt=record.prompt,
                original_prompt=record.original_prompt,
                negative_prompt=record.negative_prompt,
                seed=record.seed,
                steps=record.steps,
                sampler=sampler_label(record.scheduler),
                cfg=record.guidance,
                width=record.width,
                height=record.height,
                model=record.model,
                model_hash=record.model_hash,
                provenance=record,
            )
    if info.source == "none" and PARAMETERS_KEY in chunks:
        info = parse_a1111(chunks[PARAMETERS_KEY])
    if info.source == "none" and "prompt" in chunks:
        with contextlib.suppress(ValueError):  # a "prompt" chunk that is not a ComfyUI graph
            info = parse_comfyui(chunks["prompt"])
    if AIGC_LABEL_KEY in chunks:
        try:
            label = json.loads(chunks[AIGC_LABEL_KEY])
            info.aigc_label = {str(k): str(v) for k, v in label.items()} if isinstance(label, dict) else None
        except json.JSONDecodeError:
            info.aigc_label = None
    if info.source != "none" and info.width is None:
        info.width, info.height = size
    info.text_chunks = chunks
    return info


def _as_int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, list) else None
    except (TypeError, ValueError):
        return None


def _as_float(value: Any) -> float | None:
    try:
        return float(value) if value is not None and not isinstance(value, list) else None
    except (TypeError, ValueError):
        return None
