"""Training checkpoints: everything a LoRA run needs to go on exactly where it stopped.

One file, `CHECKPOINT_DIR/checkpoint.safetensors`, replaced atomically (written to a temporary file,
flushed to disk, renamed), so a worker killed at any moment leaves either the previous checkpoint or the
new one, never half of one. It is a safetensors file, not a pickle: the tensors are the adapter weights
(`lora.<parameter name>`), the optimizer's per-parameter state (`optimizer.<index>.<name>`) and the random
number generators' states (`rng.generator`, `rng.torch`); the JSON header's `__metadata__` holds the step,
the loss of every step so far, the data order still to come and the gradient scaler's state.

A checkpoint belongs to one run: its `key` is the sha256 of the recipe (every `TrainingConfig` field that
changes the numbers, not `steps` or `device`), the data set hash, the base model's weights hash and the
weight dtype. `read_checkpoint` returns None for a checkpoint with another key, so a changed recipe or
data set starts from zero instead of resuming somebody else's run. Because `steps` is not in the key, a
run can be extended: a checkpoint at step 400 resumes a run asked for 600 steps.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHECKPOINT_NAME = "checkpoint.safetensors"
CHECKPOINT_FORMAT = "1"
_PREFIX = "aigc_contest.checkpoint."
_NOT_IN_KEY = frozenset({"steps", "device"})  # neither changes what one step computes


@dataclass
class Checkpoint:
    key: str
    step: int  # optimizer steps done
    losses: list[float]  # one per step done
    order: list[int]  # the rest of the current pass over the data (popped from the end)
    lora: dict[str, Any]  # trainable parameter name -> tensor
    optimizer_state: dict[int, dict[str, Any]]  # torch optimizer "state" (index -> name -> tensor or number)
    scaler: dict[str, Any] | None  # GradScaler.state_dict() on fp16 runs
    generator_state: Any  # uint8 tensor: the run's CPU generator
    torch_rng_state: Any  # uint8 tensor: torch's global CPU generator
    seconds: float = 0.0  # training time up to this checkpoint, over every call of the run


def checkpoint_key(config: Any, dataset_hash: str, base_hash: str | None, weight_dtype: str) -> str:
    """Which run a checkpoint belongs to (see the module docstring)."""
    recipe = {k: v for k, v in config.model_dump(mode="json").items() if k not in _NOT_IN_KEY}
    identity = {"recipe": recipe, "dataset": dataset_hash, "base": base_hash or "", "dtype": weight_dtype}
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()


def write_checkpoint(directory: str | Path, checkpoint: Checkpoint) -> Path:
    """Write the checkpoint atomically; returns its path."""
    from safetensors.torch import save_file

    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    tensors: dict[str, Any] = {f"lora.{name}": t.detach().cpu().contiguous().clone() for name, t in checkpoint.lora.items()}
    plain_state: dict[str, dict[str, Any]] = {}
    for index, values in checkpoint.optimizer_state.items():
        for name, value in values.items():
            if hasattr(value, "detach"):
                tensors[f"optimizer.{index}.{name}"] = value.detach().cpu().contiguous().clone()
            else:
                plain_state.setdefault(str(index), {})[name] = value
    tensors["rng.generator"] = checkpoint.generator_state.clone()
    tensors["rng.torch"] = checkpoint.torch_rng_state.clone()
    metadata = {
        _PREFIX + "format": CHECKPOINT_FORMAT,
        _PREFIX + "key": checkpoint.key,
        _PREFIX + "step": str(checkpoint.step),
        _PREFIX + "losses": json.dumps(checkpoint.losses),  # repr of a float reads back to the same float
        _PREFIX + "order": json.dumps(checkpoint.order),
        _PREFIX + "optimizer_plain": json.dumps(plain_state),
        _PREFIX + "scaler": json.dumps(checkpoint.scaler),
        _PREFIX + "seconds": repr(float(checkpoint.seconds)),
    }
    final = folder / CHECKPOINT_NAME
    temporary = folder / f".{CHECKPOINT_NAME}.{os.getpid()}.tmp"
    try:
        save_file(tensors, str(temporary), metadata=metadata)
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, final)
    finally:
        temporary.unlink(missing_ok=True)
    try:  # make the rename itself durable
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return final
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
    return final


def read_checkpoint(directory: str | Path | None, key: str) -> Checkpoint | None:
    """The checkpoint in `directory` when it belongs to the run `key`; None when there is none, it is
    another run's, or it cannot be read (a run then starts from zero rather than fail)."""
    if directory is None:
        return None
    for leftover in Path(directory).glob(f".{CHECKPOINT_NAME}.*.tmp"):  # a writer killed mid-write
        leftover.unlink(missing_ok=True)
    path = Path(directory) / CHECKPOINT_NAME
    if not path.is_file():
        return None
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = dict(handle.metadata() or {})
            if metadata.get(_PREFIX + "format") != CHECKPOINT_FORMAT or metadata.get(_PREFIX + "key") != key:
                return None
            tensors = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118
        lora = {name.removeprefix("lora."): t for name, t in tensors.items() if name.startswith("lora.")}
        optimizer_state: dict[int, dict[str, Any]] = {}
        for index, values in json.loads(metadata[_PREFIX + "optimizer_plain"]).items():
            optimizer_state.setdefault(int(index), {}).update(values)
        for name, tensor in tensors.items():
            if name.startswith("optimizer."):
                _, index, field = name.split(".", 2)
                optimizer_state.setdefault(int(index), {})[field] = tensor
        return Checkpoint(
            key=key,
            step=int(metadata[_PREFIX + "step"]),
            losses=[float(v) for v in json.loads(metadata[_PREFIX + "losses"])],
            order=[int(v) for v in json.loads(metadata[_PREFIX + "order"])],
            lora=lora,
            optimizer_state=optimizer_state,
            scaler=json.loads(metadata[_PREFIX + "scaler"]),
            generator_state=tensors["rng.generator"],
            torch_rng_state=tensors["rng.torch"],
            seconds=float(metadata.get(_PREFIX + "seconds", "0")),
        )
    except (OSError, SafetensorError, KeyError, ValueError):
        return None


@dataclass(frozen=True)
class CheckpointSummary:
    key: str
    step: int
    losses: list[float]
    seconds: float


def checkpoint_summary(directory: str | Path) -> CheckpointSummary | None:
    """Step, losses and time of the checkpoint in `directory`, read from its header only (no torch), for
    a page that shows a paused or interrupted run; None when there is no readable checkpoint."""
    from aigc_contest.finetune.inspect import LoraFileError, read_header

    path = Path(directory) / CHECKPOINT_NAME
    if not path.is_file():
        return None
    try:
        metadata = read_header(path).get("__metadata__") or {}
        if metadata.get(_PREFIX + "format") != CHECKPOINT_FORMAT:
            return None
        return CheckpointSummary(
            key=metadata[_PREFIX + "key"],
            step=int(metadata[_PREFIX + "step"]),
            losses=[float(v) for v in json.loads(metadata[_PREFIX + "losses"])],
            seconds=float(metadata.get(_PREFIX + "seconds", "0")),
        )
    except (OSError, LoraFileError, KeyError, ValueError):
        return None
