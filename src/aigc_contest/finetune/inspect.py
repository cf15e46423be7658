"""Read a LoRA `.safetensors` file without torch, and refuse anything that is not a plain LoRA.

The safetensors layout (https://github.com/huggingface/safetensors, "Format"): 8 bytes little-endian
unsigned length N, then N bytes of UTF-8 JSON starting with `{` (trailing spaces allowed as padding),
then the raw tensor bytes. The JSON maps each tensor name to `{"dtype", "shape", "data_offsets":
[begin, end]}` (offsets into the byte buffer after the header) and may hold `"__metadata__"`, a
string-to-string map. Tensors must fill the buffer exactly, without holes or overlaps.

Only the header (and, for Kohya files, the few scalar `alpha` tensors) is read. Pickle-based checkpoints
(`.ckpt`, `.bin`, `.pt`, `.pth`, `.pkl`) are refused by name and by content: opening them can run code,
so they are never unpickled.

Tensor names must look like a LoRA for a UNet, a diffusion transformer or a text encoder, in one of the
common spellings:
- diffusers: `unet.<module>.lora.down.weight` / `.lora.up.weight` (`lora_linear_layer.down/up` for text
  encoders in older files);
- PEFT: `<prefix>.<module>.lora_A.weight` / `.lora_B.weight`;
- Kohya: `lora_unet_<module>.lora_down.weight` / `.lora_up.weight` / `.alpha` (`lora_te_`, `lora_te1_`,
  `lora_te2_` for text encoders).
"""

from __future__ import annotations

import json
import math
import re
import struct
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

HEADER_LENGTH_BYTES = 8
DEFAULT_MAX_HEADER_BYTES = 16 * 1024 * 1024  # an SDXL LoRA header is well under 1 MB
DEFAULT_MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024
PICKLE_SUFFIXES = (".ckpt", ".bin", ".pt", ".pth", ".pkl", ".pickle")
METADATA_PREFIX = "aigc_contest."  # keys our trainer writes into __metadata__

# Bytes per element; sub-byte types (F4, F6) never appear in a LoRA and are refused as unknown.
DTYPE_SIZES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1,
    "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
    "I32": 4, "U32": 4, "F32": 4,
    "I64": 8, "U64": 8, "F64": 8,
}  # fmt: skip

_COMPONENTS = {
    "unet": "unet",
    "text_encoder": "text_encoder",
    "text_encoder_2": "text_encoder_2",
    "transformer": "transformer",
    "lora_unet": "unet",
    "lora_te": "text_encoder",
    "lora_te1": "text_encoder",
    "lora_te2": "text_encoder_2",
    "lora_transformer": "transformer",
}
# diffusers / PEFT: component prefix (optional for bare UNet keys), module path, LoRA part, optional
# PEFT adapter name, then weight/bias.
_DOTTED = re.compile(
    r"^(?:(?P<component>unet|text_encoder|text_encoder_2|transformer|base_model\.model)\.)?"
    r"(?P<module>[A-Za-z0-9_.]+?)\."
    r"(?:(?P<part>lora\.down|lora\.up|lora_linear_layer\.down|lora_linear_layer\.up|lora_A|lora_B"
    r"|lora_down|lora_up)(?:\.[A-Za-z0-9_]+)?\.(?P<param>weight|bias)"
    r"|(?P<extra>alpha|lora_magnitude_vector(?:\.[A-Za-z0-9_]+)?|dora_scale))$"
)
_KOHYA = re.compile(
    r"^(?P<component>lora_unet|lora_te1|lora_te2|lora_te|lora_transformer)_(?P<module>[A-Za-z0-9_]+)\."
    r"(?:(?P<part>lora_down|lora_up)\.(?P<param>weight|bias)|(?P<extra>alpha|dora_scale))$"
)
# Bare (unprefixed) dotted keys are accepted only for UNet module paths.
_UNET_ROOTS = ("down_blocks.", "mid_block.", "up_blocks.", "conv_in", "conv_out", "time_embedding", "add_embedding")
_DOWN_PARTS = {"lora.down", "lora_linear_layer.down", "lora_A", "lora_down"}
# Layer names LoRAs commonly target, as diffusers/transformers spell them (Kohya writes "_" for ".").
_KNOWN_TARGETS = (
    "to_out.0", "to_q", "to_k", "to_v", "add_q_proj", "add_k_proj", "add_v_proj", "to_add_out",
    "ff.net.0.proj", "ff.net.2", "proj_in", "proj_out", "q_proj", "k_proj", "v_proj", "out_proj",
    "mlp.fc1", "mlp.fc2", "fc1", "fc2", "conv_shortcut", "time_emb_proj", "conv1", "conv2", "conv",
)  # fmt: skip


class LoraFileError(ValueError):
    """The file is not an acceptable LoRA; `reason` says why, `code` names the problem for pages."""

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass(frozen=True)
class LoraInfo:
    format: str  # "diffusers" | "peft" | "kohya" | "mixed"
    components: list[str]  # unet, text_encoder, text_encoder_2, transformer
    rank: int | None  # the most common rank (None when the file holds no down/A matrices)
    ranks: list[int]  # every rank that occurs
    alpha: float | None  # from alpha tensors or the adapter metadata; None when not stated
    target_modules: list[str]
    modules: int  # adapted layers
    tensor_count: int
    total_params: int
    dtypes: list[str]
    file_size: int
    header_size: int
    metadata: dict[str, str] = field(default_factory=dict)  # the raw __metadata__ map

    @property
    def training(self) -> dict[str, str]:
        """What our trainer recorded (base model and its hash, rank, steps, data set hash, time ...)."""
        return {k[len(METADATA_PREFIX) :]: v for k, v in self.metadata.items() if k.startswith(METADATA_PREFIX)}

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "training": self.training}


# ---------------------------------------------------------------------------------------- entry points


def looks_like_safetensors(head: bytes) -> bool:
    """A cheap structural sniff: a plausible header length followed by a JSON object."""
    if len(head) < HEADER_LENGTH_BYTES + 2:
        return False
    (length,) = struct.unpack("<Q", head[:HEADER_LENGTH_BYTES])
    return 2 <= length <= DEFAULT_MAX_HEADER_BYTES and head[HEADER_LENGTH_BYTES : HEADER_LENGTH_BYTES + 1] == b"{"


def inspect_lora_file(
    path: str | Path,
    *,
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> LoraInfo:
    """Inspect a LoRA file on disk, reading only its header (and Kohya alpha scalars)."""
    path = Path(path).expanduser()
    if path.suffix.lower() in PICKLE_SUFFIXES:
        raise _pickle_refusal(path.suffix.lower())
    if not path.is_file():
        raise LoraFileError(f"no such file: {path}", "missing")
    size = path.stat().st_size
    if size > max_file_bytes:
        raise LoraFileError(
            f"the file is {size / 1_048_576:.0f} MB; a LoRA file may be at most "
            f"{max_file_bytes / 1_048_576:.0f} MB",
            "too_large",
        )
    with open(path, "rb") as handle:
        return _inspect(_FileSource(handle, size), max_header_bytes)


def inspect_lora_bytes(data: bytes, *, max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES) -> LoraInfo:
    """Inspect a LoRA file held in memory (an upload)."""
    return _inspect(_BytesSource(data), max_header_bytes)


def read_header(path: str | Path, max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES) -> dict[str, Any]:
    """The parsed and checked header of any safetensors file (tensor entries and `__metadata__`)."""
    path = Path(path)
    with open(path, "rb") as handle:
        header, _ = _read_header(_FileSource(handle, path.stat().st_size), max_header_bytes)
    return header


# ---------------------------------------------------------------------------------------- reading


class _BytesSource:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.size = len(data)

    def read(self, offset: int, length: int) -> bytes:
        return bytes(self.data[offset : offset + length])


class _FileSource:
    def __init__(self, handle: BinaryIO, size: int) -> None:
        self.handle = handle
        self.size = size

    def read(self, offset: int, length: int) -> bytes:
        self.handle.seek(offset)
        return self.handle.read(length)


def _pickle_refusal(what: str) -> LoraFileError:
    return LoraFileError(
        f"this is a pickle-based checkpoint ({what}); such files can run code when opened, so they are "
        "not accepted. Save the LoRA as .safetensors instead.",
        "pickle",
    )


def _read_header(source: _BytesSource | _FileSource, max_header_bytes: int) -> tuple[dict[str, Any], int]:
    head = source.read(0, HEADER_LENGTH_BYTES)
    if head.startswith(b"PK\x03\x04"):
        raise _pickle_refusal("a zipped PyTorch checkpoint")
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        raise _pickle_refusal("a pickle stream")
    if len(head) < HEADER_LENGTH_BYTES:
        raise LoraFileError("the file is too short to be a safetensors file", "not_safetensors")
    (length,) = struct.unpack("<Q", head)
    if length > max_header_bytes:
        raise LoraFileError(
            f"the safetensors header claims {length} bytes, more than the {max_header_bytes} allowed",
            "header_too_large",
        )
    if length < 2 or HEADER_LENGTH_BYTES + length > source.size:
        raise LoraFileError("this is not a safetensors file (the header length does not fit)", "not_safetensors")
    raw = source.read(HEADER_LENGTH_BYTES, length)
    if raw[:1] != b"{":
        raise LoraFileError("this is not a safetensors file (no JSON header)", "not_safetensors")
    try:
        header = json.loads(raw.decode("utf-8").rstrip(" "), object_pairs_hook=_no_duplicate_keys)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise LoraFileError(f"the safetensors header is not valid JSON ({exc})", "corrupt") from exc
    if not isinstance(header, dict):
        raise LoraFileError("the safetensors header is not a JSON object", "corrupt")
    _check_entries(header, source.size - HEADER_LENGTH_BYTES - length)
    return header, length


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _check_entries(header: dict[str, Any], buffer_size: int) -> None:
    metadata = header.get("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise LoraFileError("__metadata__ must map strings to strings", "corrupt")
    spans: list[tuple[int, int, str]] = []
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise LoraFileError(f"tensor {name!r}: entry needs exactly dtype, shape and data_offsets", "corrupt")
        dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if dtype not in DTYPE_SIZES:
            raise LoraFileError(f"tensor {name!r}: unsupported dtype {dtype!r}", "corrupt")
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise LoraFileError(f"tensor {name!r}: shape must be a list of sizes", "corrupt")
        if (
            not isinstance(offsets, list)
            or len(offsets) != 2
            or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
            or not 0 <= offsets[0] <= offsets[1]
        ):
            raise LoraFileError(f"tensor {name!r}: data_offsets must be [begin, end]", "corrupt")
        if offsets[1] - offsets[0] != math.prod(shape) * DTYPE_SIZES[dtype]:
            raise LoraFileError(f"tensor {name!r}: its byte size does not match its shape and dtype", "corrupt")
        spans.append((offsets[0], offsets[1], name))
    position = 0
    for begin, end, name in sorted(spans):
        if begin != position:
            raise LoraFileError(f"tensor {name!r}: tensor data overlaps or leaves a gap", "corrupt")
        position = end
    if position != buffer_size:
        raise LoraFileError("the tensor data does not fill the file exactly (cut short or padded)", "corrupt")


# ---------------------------------------------------------------------------------------- LoRA checks


@dataclass
class _Module:
    component: str
    target: str
    rank: int | None = None
    has_down: bool = False
    has_up: bool = False
    alpha_tensor: str | None = None


def _inspect(source: _BytesSource | _FileSource, max_header_bytes: int) -> LoraInfo:
    header, header_size = _read_header(source, max_header_bytes)
    metadata: dict[str, str] = header.get("__metadata__", {})
    tensors = {name: entry for name, entry in header.items() if name != "__metadata__"}
    if not tensors:
        raise LoraFileError("the file holds no tensors", "not_lora")

    modules: dict[str, _Module] = {}
    formats: set[str] = set()
    for name, entry in tensors.items():
        match = _KOHYA.match(name) or _DOTTED.match(name)
        if match is None or (match.re is _DOTTED and not _plausible_dotted(match)):
            raise LoraFileError(
                f"tensor {name!r} does not look like part of a LoRA for a UNet or text encoder", "not_lora"
            )
        kohya = match.re is _KOHYA
        part, extra = match.group("part"), match.group("extra")
        component = _COMPONENTS.get(match.group("component") or "unet", "unet")
        formats.add("kohya" if kohya else "peft" if part in ("lora_A", "lora_B") else "diffusers")
        key = f"{component}:{match.group('module')}"
        module = modules.setdefault(key, _Module(component, _target_name(match.group("module"), kohya)))
        if part in _DOWN_PARTS and match.group("param") == "weight":
            if len(entry["shape"]) < 2:
                raise LoraFileError(f"tensor {name!r}: a LoRA down matrix needs at least 2 dimensions", "not_lora")
            module.has_down, module.rank = True, entry["shape"][0]
        elif part is not None and match.group("param") == "weight":
            module.has_up = True
        elif extra == "alpha":
            if math.prod(entry["shape"]) != 1:
                raise LoraFileError(f"tensor {name!r}: alpha must be a single number", "not_lora")
            module.alpha_tensor = name
    for key, module in modules.items():
        if module.has_down != module.has_up:
            missing = "up (B)" if module.has_down else "down (A)"
            raise LoraFileError(f"layer {key.split(':', 1)[1]} has no LoRA {missing} matrix", "not_lora")

    ranks = Counter(m.rank for m in modules.values() if m.rank is not None)
    alpha_names = [m.alpha_tensor for m in modules.values() if m.alpha_tensor]
    alphas = {_scalar(source, header_size, tensors[n]) for n in alpha_names}
    alpha = alphas.pop() if len(alphas) == 1 else _alpha_from_metadata(metadata)
    return LoraInfo(
        format=formats.pop() if len(formats) == 1 else "mixed",
        components=sorted({m.component for m in modules.values()}),
        rank=ranks.most_common(1)[0][0] if ranks else None,
        ranks=sorted(ranks),
        alpha=alpha,
        target_modules=sorted({m.target for m in modules.values()}),
        modules=sum(1 for m in modules.values() if m.has_down),
        tensor_count=len(tensors),
        total_params=sum(math.prod(e["shape"]) for e in tensors.values()),
        dtypes=sorted({e["dtype"] for e in tensors.values()}),
        file_size=source.size,
        header_size=header_size,
        metadata=dict(sorted(metadata.items())),
    )


def _plausible_dotted(match: re.Match[str]) -> bool:
    """Unprefixed keys must be UNet module paths; PEFT's base_model.model prefix needs lora_A/B."""
    component, module = match.group("component"), match.group("module")
    if component is None:
        return module.startswith(_UNET_ROOTS)
    if component == "base_model.model":
        return match.group("part") in ("lora_A", "lora_B", None)
    return True


def _target_name(module: str, kohya: bool) -> str:
    """The layer name a LoRA targets, e.g. `to_q` or `to_out.0`, from a full module path."""
    for target in _KNOWN_TARGETS:
        spelled = target.replace(".", "_") if kohya else target
        if module == spelled or module.endswith(("." if not kohya else "_") + spelled):
            return target
    separator = "_" if kohya else "."
    parts = module.split(separator)
    if len(parts) > 1 and parts[-1].isdigit():
        return ".".join(parts[-2:])
    return parts[-1]


def _scalar(source: _BytesSource | _FileSource, header_size: int, entry: dict[str, Any]) -> float | None:
    """The value of a one-element float tensor (a Kohya alpha), read straight from the file."""
    begin, end = entry["data_offsets"]
    raw = source.read(HEADER_LENGTH_BYTES + header_size + begin, end - begin)
    dtype = entry["dtype"]
    if dtype == "F32":
        return float(struct.unpack("<f", raw)[0])
    if dtype == "F16":
        return float(struct.unpack("<e", raw)[0])
    if dtype == "BF16":
        return float(struct.unpack("<f", b"\0\0" + raw)[0])
    if dtype == "F64":
        return float(struct.unpack("<d", raw)[0])
    return None


def _alpha_from_metadata(metadata: dict[str, str]) -> float | None:
    """diffusers writes the PEFT config as JSON under `lora_adapter_metadata`; our trainer writes its own."""
    if f"{METADATA_PREFIX}alpha" in metadata:
        try:
            return float(metadata[f"{METADATA_PREFIX}alpha"])
        except ValueError:
            return None
    for key, text in metadata.items():
        if key.endswith("lora_adapter_metadata"):
            try:
                value = json.loads(text).get("lora_alpha")
            except (ValueError, AttributeError):
                continue
            if isinstance(value, int | float):
                return float(value)
    return None
