"""Train a LoRA on the UNet of a Stable-Diffusion-style diffusers pipeline.

The recipe is the one diffusers' own LoRA examples use: the base weights are frozen, PEFT adds low-rank
adapters to the attention projections (`to_q`, `to_k`, `to_v`, `to_out.0`), and the adapters learn to
predict the noise (or v) that the DDPM forward process added to the image latents at a random timestep.

- The VAE and the text encoder are frozen, so image latents and caption embeddings are computed once
  before training; each step only runs the UNet.
- All randomness (order, latent samples, noise, timesteps) comes from one CPU `torch.Generator` seeded
  with `seed`, so a CPU run is reproducible bit for bit and a GPU run sees the same random numbers.
- On CUDA the frozen weights are held in fp16 (bf16 where supported, or on request) and the forward pass
  runs under autocast, while the adapter weights and the optimizer stay in fp32.
- The result is `pytorch_lora_weights.safetensors` in diffusers format (written by `save_lora_weights`)
  with the training record in the safetensors `__metadata__`: base model id and weights hash, rank,
  alpha, steps, data set hash, creation time and the other settings (keys prefixed `aigc_contest.`).

Long runs (a training queue) use the keyword arguments of `train_lora`:
- `checkpoint_dir` + `checkpoint_every`: a checkpoint (adapter weights, optimizer state, step, losses,
  random states, data order; see `checkpoint.py`) every N steps and at the end, written atomically. A run
  started again with the same recipe, data set and base model resumes from it and ends with the same
  weights and losses as a run that was never interrupted (bit for bit on a CPU).
- `should_stop`: asked before every step; when it answers True the run writes a checkpoint and raises
  `TrainingStopped`. `max_steps_this_run` does the same after that many steps (a time slice).
- `sample_prompts` + `sample_every` + `on_sample`: the pipeline with the current adapters renders the
  prompts (seed `sample_seed + i` for prompt i, the same at every step, so the pictures show the change)
  every N steps and once at the end; `on_sample(step, [png bytes, ...])`.
- Every `TrainingError` has a `code` a program can act on (see `ERROR_CODES`); running out of GPU memory
  is `out_of_memory`, with advice to lower the rank, resolution or batch size.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from aigc_contest.finetune.checkpoint import Checkpoint, checkpoint_key, read_checkpoint, write_checkpoint
from aigc_contest.finetune.dataset import TrainingDataset
from aigc_contest.finetune.inspect import HEADER_LENGTH_BYTES, METADATA_PREFIX

WEIGHT_NAME = "pytorch_lora_weights.safetensors"
DEFAULT_TARGET_MODULES = ("to_k", "to_q", "to_v", "to_out.0")
# (optimizer step done, total optimizer steps, mean loss of that step)
TrainingProgress = Callable[[int, int, float], None]
# (optimizer steps done, one PNG per sample prompt)
SampleCallback = Callable[[int, list[bytes]], None]

ERROR_CODES = {
    "missing_extra": "torch, diffusers or peft is not installed",
    "base_model": "the base model could not be found or loaded",
    "architecture": "the base model is not a Stable Diffusion 1.x/2.x-style pipeline",
    "no_layers": "none of the target layers exist in the UNet",
    "mixed_precision": "half precision was asked for without a CUDA GPU",
    "no_images": "the data set is empty",
    "bad_loss": "the loss became NaN or infinite",
    "out_of_memory": "the GPU (or the machine) ran out of memory",
    "checkpoint": "a checkpoint of this run does not fit its adapters",
    "stopped": "the run was stopped on request or at its step limit (TrainingStopped)",
}


class TrainingError(Exception):
    """Training could not start or finish, with a reason a person can act on and a `code` (ERROR_CODES)."""

    def __init__(self, message: str, code: str = "failed") -> None:
        super().__init__(message)
        self.code = code


class TrainingStopped(TrainingError):
    """The run stopped before its last step and can be resumed from `checkpoint` (None without a
    checkpoint_dir). Not a failure: `reason` is "requested" (should_stop said so) or "step_limit"
    (max_steps_this_run steps were done). A subclass of TrainingError (code "stopped") so that code
    catching only TrainingError still handles it; catch TrainingStopped first to tell the two apart."""

    def __init__(self, step: int, total: int, reason: str, checkpoint: Path | None, resumed_from: int) -> None:
        super().__init__(f"training stopped after step {step} of {total}", code="stopped")
        self.step = step
        self.total = total
        self.reason = reason
        self.checkpoint = checkpoint
        self.resumed_from = resumed_from


class TrainingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    base: str = Field(min_length=1, max_length=500)  # a pipeline folder or a hub id
    steps: int = Field(default=500, ge=1, le=100_000)  # optimizer steps
    rank: int = Field(default=4, ge=1, le=256)
    alpha: float | None = Field(default=None, gt=0, le=1024)  # None: equal to rank (scale 1)
    learning_rate: float = Field(default=1e-4, gt=0, le=1.0)
    resolution: int = Field(default=512, ge=64, le=2048, multiple_of=8)
    seed: int = Field(default=0, ge=0, le=2**32 - 1)
    batch_size: int = Field(default=1, ge=1, le=64)
    gradient_accumulation: int = Field(default=1, ge=1, le=128)
    mixed_precision: Literal["auto", "no", "fp16", "bf16"] = "auto"  # auto: fp16/bf16 on CUDA, fp32 on CPU
    target_modules: tuple[str, ...] = DEFAULT_TARGET_MODULES
    max_grad_norm: float = Field(default=1.0, gt=0)
    random_flip: bool = False
    device: str | None = None  # None: cuda when available, else cpu

    @property
    def lora_alpha(self) -> float:
        return self.alpha if self.alpha is not None else float(self.rank)


@dataclass(frozen=True)
class TrainingResult:
    path: Path  # the .safetensors file
    sha256: str  # of the whole file
    weights_sha256: str  # of the tensor bytes only (equal for equal weights, whatever the metadata)
    losses: list[float]  # one per optimizer step
    metadata: dict[str, str]
    device: str
    seconds: float  # of this call (a resumed run counts only its own time)
    resumed_from: int = 0  # the checkpoint's step this call started from (0: from the beginning)
    steps_done: int = 0  # optimizer steps the LoRA has had in all; this call ran steps_done - resumed_from
    base_hash: str | None = None  # sha256 of the base model's weights, where they are on disk
    total_seconds: float = 0.0  # training time over every call of a resumed run (this call's included)


# ---------------------------------------------------------------------------------------- loading


def load_base_pipeline(base: str, dtype: Any = None) -> tuple[Any, str | None]:
    """A diffusers pipeline from a folder or hub id (cache first, download only when online), and the
    sha256 of its weights where they are on disk."""
    from aigc_contest.generation.backends.diffusers_image import (
        not_cached_message,
        offline_mode,
        weights_hash,
    )

    try:
        from diffusers import DiffusionPipeline
    except ImportError as exc:
        raise TrainingError("training needs the ml extra: pip install 'aigc-contest[ml]'", "missing_extra") from exc

    path = Path(base).expanduser()
    kwargs: dict[str, Any] = {"dtype": dtype} if dtype is not None else {}
    if path.is_dir():
        try:
            pipe = DiffusionPipeline.from_pretrained(str(path), local_files_only=True, **kwargs)
        except (OSError, ValueError) as exc:
            raise TrainingError(f"could not load the base model from {path}: {exc}", "base_model") from exc
        return pipe, weights_hash(path)
    if path.exists() or base.startswith((".", "/", "~")) or base.count("/") != 1:
        raise TrainingError(
            f"base model {base!r} is neither a pipeline folder nor a hub id (owner/name)", "base_model"
        )
    try:
        pipe = DiffusionPipeline.from_pretrained(base, local_files_only=True, **kwargs)
    except (OSError, ValueError) as cached_error:
        if offline_mode():
            raise TrainingError(not_cached_message(base, base), "base_model") from cached_error
        try:
            pipe = DiffusionPipeline.from_pretrained(base, **kwargs)
        except (OSError, ValueError) as exc:
            raise TrainingError(f"{not_cached_message(base, base)} ({exc})", "base_model") from exc
    try:
        from huggingface_hub import snapshot_download

        return pipe, weights_hash(snapshot_download(base, local_files_only=True))
    except (OSError, ValueError):
        return pipe, None


def _check_architecture(pipe: Any) -> None:
    missing = [name for name in ("unet", "vae", "text_encoder", "tokenizer") if getattr(pipe, name, None) is None]
    if missing or getattr(pipe, "text_encoder_2", None) is not None:
        raise TrainingError(
            f"{type(pipe).__name__} cannot be fine-tuned here: LoRA training supports Stable Diffusion 1.x/2.x-"
            "style pipelines (one CLIP text encoder, a UNet and a VAE)",
            "architecture",
        )


# ---------------------------------------------------------------------------------------- training


@dataclass
class EncodedData:
    """What the frozen parts of the pipeline make of the data set, computed once."""

    latent_mean: Any  # (N, 4, h, w) float32, before the VAE scaling factor
    latent_std: Any
    flipped_mean: Any | None  # the same for mirrored images, when random_flip is on
    flipped_std: Any | None
    text_embeddings: Any  # (N, 77, dim) float32
    truncated_captions: int  # captions longer than the text encoder's window


class LoraTrainer:
    """The adapters, optimizer and loss on one pipeline; `train_lora` drives it over a data set."""

    def __init__(self, pipe: Any, config: TrainingConfig) -> None:
        import torch
        from diffusers import DDPMScheduler
        from peft import LoraConfig

        _check_architecture(pipe)
        self.pipe = pipe
        self.config = config
        self.device = config.device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.weight_dtype = _weight_dtype(config.mixed_precision, self.device)
        self.noise_scheduler = DDPMScheduler.from_config(pipe.scheduler.config)
        self.prediction_type = self.noise_scheduler.config.prediction_type

        for module in (pipe.unet, pipe.vae, pipe.text_encoder):
            module.requires_grad_(False)
        for module, dtype in ((pipe.unet, self.weight_dtype), (pipe.text_encoder, self.weight_dtype),
                              (pipe.vae, torch.float32)):  # the VAE encodes once; fp32 avoids fp16 overflow
            module.to(self.device)
            if module.dtype != dtype:
                module.to(dtype=dtype)
        pipe.unet.add_adapter(
            LoraConfig(
                r=config.rank,
                lora_alpha=config.lora_alpha,  # type: ignore[arg-type]  # peft takes a float; its hint says int
                init_lora_weights="gaussian",
                target_modules=list(config.target_modules),
            )
        )
        self.parameters = [p for p in pipe.unet.parameters() if p.requires_grad]
        if not self.parameters:
            raise TrainingError(
                f"no layers named {', '.join(config.target_modules)} found in the UNet", "no_layers"
            )
        for parameter in self.parameters:  # adapters train in fp32 even when the base is half precision
            parameter.data = parameter.data.float()
        pipe.unet.train()
        self.optimizer = torch.optim.AdamW(self.parameters, lr=config.learning_rate, weight_decay=1e-2)
        self.scaler = torch.amp.GradScaler("cuda") if self.weight_dtype == torch.float16 else None

    @property
    def trainable_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters)

    def encode(self, dataset: TrainingDataset, keep_vae: bool = False) -> EncodedData:
        """Latents and caption embeddings of the whole data set. The VAE then leaves the accelerator
        unless `keep_vae` (sample pictures need it to decode)."""
        import torch

        pipe, size = self.pipe, self.config.resolution
        pixels = torch.stack([_image_tensor(item.image, size) for item in dataset.items])
        means, stds, flipped_means, flipped_stds = [], [], [], []
        with torch.no_grad():
            for start in range(0, len(pixels), 8):
                chunk = pixels[start : start + 8].to(self.device)
                distribution = pipe.vae.encode(chunk).latent_dist
                means.append(distribution.mean.float().cpu())
                stds.append(distribution.std.float().cpu())
                if self.config.random_flip:
                    mirrored = pipe.vae.encode(torch.flip(chunk, dims=[3])).latent_dist
                    flipped_means.append(mirrored.mean.float().cpu())
                    flipped_stds.append(mirrored.std.float().cpu())
            captions = [item.caption for item in dataset.items]
            window = pipe.tokenizer.model_max_length
            full_lengths = [len(ids) for ids in pipe.tokenizer(captions, truncation=False).input_ids]
            tokens = pipe.tokenizer(
                captions, padding="max_length", max_length=window, truncation=True, return_tensors="pt"
            ).input_ids
            embeddings = []
            for start in range(0, len(tokens), 16):
                hidden = pipe.text_encoder(tokens[start : start + 16].to(self.device))[0]
                embeddings.append(hidden.float().cpu())
        if not keep_vae:
            pipe.vae.to("cpu")  # no longer needed on the accelerator
        return EncodedData(
            latent_mean=torch.cat(means),
            latent_std=torch.cat(stds),
            flipped_mean=torch.cat(flipped_means) if flipped_means else None,
            flipped_std=torch.cat(flipped_stds) if flipped_stds else None,
            text_embeddings=torch.cat(embeddings),
            truncated_captions=sum(1 for n in full_lengths if n > window),
        )

    def loss(self, latents: Any, text_embeddings: Any, noise: Any, timesteps: Any) -> Any:
        """The denoising loss for clean latents (already scaled), given noise and timesteps."""
        import torch
        import torch.nn.functional as F

        latents, noise = latents.to(self.device), noise.to(self.device)
        timesteps = timesteps.to(self.device)
        noisy = self.noise_scheduler.add_noise(latents, noise, timesteps)
        if self.prediction_type == "v_prediction":
            target = self.noise_scheduler.get_velocity(latents, noise, timesteps)
        else:
            target = noise
        with torch.autocast(self.device.split(":")[0], dtype=self.weight_dtype, enabled=self._autocast):
            prediction = self.pipe.unet(
                noisy.to(self.weight_dtype), timesteps, text_embeddings.to(self.device, self.weight_dtype)
            ).sample
        return F.mse_loss(prediction.float(), target.float())

    @property
    def _autocast(self) -> bool:
        import torch

        return self.weight_dtype != torch.float32

    def backward(self, loss: Any) -> None:
        (self.scaler.scale(loss) if self.scaler else loss).backward()

    def optimizer_step(self) -> None:
        import torch

        if self.scaler:
            self.scaler.unscale_(self.optimizer)
        torch.nn.utils.clip_grad_norm_(self.parameters, self.config.max_grad_norm)
        if self.scaler:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)

    def trainable_state(self) -> dict[str, Any]:
        """The adapter parameters by name (in the optimizer's order), for a checkpoint."""
        return {name: p.detach() for name, p in self.pipe.unet.named_parameters() if p.requires_grad}

    def restore(self, checkpoint: Checkpoint) -> None:
        """Adapter weights, optimizer and gradient scaler as they were when `checkpoint` was written."""
        import torch

        names = list(self.trainable_state())
        if sorted(names) != sorted(checkpoint.lora):
            raise TrainingError("the checkpoint does not match this run's adapters", "checkpoint")
        with torch.no_grad():
            for name, parameter in self.pipe.unet.named_parameters():
                if parameter.requires_grad:
                    parameter.copy_(checkpoint.lora[name].to(parameter.device, parameter.dtype))
        state = self.optimizer.state_dict()
        state["state"] = checkpoint.optimizer_state
        self.optimizer.load_state_dict(state)
        if self.scaler is not None and checkpoint.scaler:
            self.scaler.load_state_dict(checkpoint.scaler)

    def render(self, prompts: list[str] | tuple[str, ...], seed: int, steps: int, guidance: float) -> list[bytes]:
        """PNG pictures of `prompts` at the training resolution with the adapters as they are now;
        prompt i uses a fresh CPU generator seeded with seed + i. Training state is left untouched."""
        import io

        import torch

        pipe, size = self.pipe, self.config.resolution
        pipe.set_progress_bar_config(disable=True)
        if pipe.vae.device != pipe.unet.device:
            pipe.vae.to(pipe.unet.device)
        pipe.unet.eval()
        pngs: list[bytes] = []
        try:
            for start in range(0, len(prompts), 4):
                chunk = list(prompts[start : start + 4])
                generators = [torch.Generator("cpu").manual_seed(seed + start + i) for i in range(len(chunk))]
                with (
                    torch.no_grad(),
                    torch.autocast(self.device.split(":")[0], dtype=self.weight_dtype, enabled=self._autocast),
                ):
                    images = pipe(
                        prompt=chunk,
                        num_inference_steps=steps,
                        guidance_scale=guidance,
                        width=size,
                        height=size,
                        generator=generators,
                        output_type="pil",
                    ).images
                for image in images:
                    buffer = io.BytesIO()
                    image.save(buffer, format="PNG")
                    pngs.append(buffer.getvalue())
        finally:
            pipe.unet.train()
        return pngs

    def lora_state_dict(self) -> dict[str, Any]:
        from diffusers.utils import convert_state_dict_to_diffusers
        from peft.utils import get_peft_model_state_dict

        state = convert_state_dict_to_diffusers(get_peft_model_state_dict(self.pipe.unet))
        return {name: tensor.detach().float().cpu().contiguous() for name, tensor in state.items()}

    def adapter_metadata(self) -> dict[str, Any]:
        config = self.pipe.unet.peft_config["default"].to_dict()
        return json.loads(json.dumps(config, default=lambda v: sorted(v) if isinstance(v, set) else str(v)))


def _weight_dtype(mixed_precision: str, device: str) -> Any:
    import torch

    if not device.startswith("cuda") or mixed_precision == "no":
        if mixed_precision in ("fp16", "bf16") and not device.startswith("cuda"):
            raise TrainingError(
                "mixed precision needs a CUDA GPU; use --mixed-precision no on a CPU", "mixed_precision"
            )
        return torch.float32
    if mixed_precision == "bf16" or (mixed_precision == "auto" and torch.cuda.is_bf16_supported()):
        return torch.bfloat16
    return torch.float16


def _image_tensor(path: Path, size: int) -> Any:
    """The image scaled so its shorter side is `size`, centre-cropped to a square, in [-1, 1], CHW."""
    import numpy as np
    import torch
    from PIL import Image, ImageOps

    with Image.open(path) as opened:
        image = ImageOps.exif_transpose(opened).convert("RGB")
    scale = size / min(image.size)
    resized = image.resize(
        (max(size, round(image.width * scale)), max(size, round(image.height * scale))), Image.Resampling.BICUBIC
    )
    left, top = (resized.width - size) // 2, (resized.height - size) // 2
    square = resized.crop((left, top, left + size, top + size))
    array = np.asarray(square, dtype=np.float32) / 127.5 - 1.0
    return torch.from_numpy(array).permute(2, 0, 1).contiguous()


def train_lora(
    dataset: TrainingDataset,
    config: TrainingConfig,
    out_dir: str | Path,
    progress: TrainingProgress | None = None,
    *,
    checkpoint_dir: str | Path | None = None,
    checkpoint_every: int = 0,
    should_stop: Callable[[], bool] | None = None,
    sample_prompts: list[str] | tuple[str, ...] = (),
    sample_every: int = 0,
    sample_seed: int = 0,
    on_sample: SampleCallback | None = None,
    max_steps_this_run: int | None = None,
    sample_steps: int = 20,
    sample_guidance: float = 7.5,
    on_checkpoint: Callable[[int, Path], None] | None = None,
) -> TrainingResult:
    """Train a LoRA on `dataset` and write OUT_DIR/pytorch_lora_weights.safetensors.

    With `checkpoint_dir`, resumes from the checkpoint there when it belongs to this run (same recipe,
    data set and base model) and writes one every `checkpoint_every` steps (0: only when stopped and at
    the end). Raises TrainingStopped when `should_stop()` answers True or after `max_steps_this_run`
    steps, and TrainingError (with a `code`) when the run fails; see the module docstring.
    `on_checkpoint(step, path)` is called after each checkpoint is on disk: charging a compute budget
    there charges each step once, even when a killed run repeats the steps after its last checkpoint."""
    import gc

    try:
        import torch
    except ImportError as exc:
        raise TrainingError("training needs the ml extra: pip install 'aigc-contest[ml]'", "missing_extra") from exc

    if checkpoint_every < 0 or sample_every < 0 or (max_steps_this_run is not None and max_steps_this_run < 1):
        raise ValueError("checkpoint_every and sample_every must be >= 0 and max_steps_this_run >= 1")
    out_of_memory: str | None = None
    try:
        return _train(
            dataset, config, Path(out_dir).expanduser(), progress,
            checkpoint_dir=Path(checkpoint_dir).expanduser() if checkpoint_dir is not None else None,
            checkpoint_every=checkpoint_every, should_stop=should_stop,
            samples=_Samples(tuple(sample_prompts), sample_every, sample_seed, on_sample, sample_steps,
                             sample_guidance),
            max_steps_this_run=max_steps_this_run,
            on_checkpoint=on_checkpoint,
        )
    except torch.OutOfMemoryError as exc:
        out_of_memory = str(exc).splitlines()[0] if str(exc) else "CUDA out of memory"
    except RuntimeError as exc:
        if "out of memory" not in str(exc).lower():
            raise
        out_of_memory = str(exc).splitlines()[0]
    # Outside the except block the traceback (and the pipeline its frames hold) is gone and can be freed.
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    raise TrainingError(
        f"out of memory at rank {config.rank}, {config.resolution} px, batch {config.batch_size}: try a "
        f"smaller rank or resolution (or batch size; gradient accumulation keeps the effective batch) "
        f"({out_of_memory})",
        "out_of_memory",
    )


@dataclass(frozen=True)
class _Samples:
    prompts: tuple[str, ...]
    every: int
    seed: int
    callback: SampleCallback | None
    steps: int
    guidance: float

    @property
    def enabled(self) -> bool:
        return bool(self.prompts) and self.callback is not None


def _train(
    dataset: TrainingDataset,
    config: TrainingConfig,
    out: Path,
    progress: TrainingProgress | None,
    *,
    checkpoint_dir: Path | None,
    checkpoint_every: int,
    should_stop: Callable[[], bool] | None,
    samples: _Samples,
    max_steps_this_run: int | None,
    on_checkpoint: Callable[[int, Path], None] | None = None,
) -> TrainingResult:
    import torch

    if not dataset.items:
        raise TrainingError("the data set has no images", "no_images")
    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(config.seed)
    pipe, base_hash = load_base_pipeline(config.base)
    trainer = LoraTrainer(pipe, config)
    encoded = trainer.encode(dataset, keep_vae=samples.enabled)
    scaling = float(pipe.vae.config.scaling_factor)
    generator = torch.Generator("cpu").manual_seed(config.seed)
    train_timesteps = int(trainer.noise_scheduler.config.num_train_timesteps)
    order: list[int] = []
    losses: list[float] = []
    key = checkpoint_key(config, dataset.sha256, base_hash, str(trainer.weight_dtype).removeprefix("torch."))
    resumed_from = 0
    checkpoint = read_checkpoint(checkpoint_dir, key)
    if checkpoint is not None and checkpoint.step <= config.steps:
        trainer.restore(checkpoint)
        generator.set_state(checkpoint.generator_state)
        torch.set_rng_state(checkpoint.torch_rng_state)
        order, losses, resumed_from = list(checkpoint.order), list(checkpoint.losses), checkpoint.step
    earlier_seconds = checkpoint.seconds if checkpoint is not None and resumed_from else 0.0

    def save_checkpoint(step: int) -> Path | None:
        if checkpoint_dir is None:
            return None
        optimizer_state = trainer.optimizer.state_dict()["state"]
        path = write_checkpoint(
            checkpoint_dir,
            Checkpoint(
                key=key,
                step=step,
                losses=list(losses),
                order=list(order),
                lora=trainer.trainable_state(),
                optimizer_state=optimizer_state,
                scaler=trainer.scaler.state_dict() if trainer.scaler is not None else None,
                generator_state=generator.get_state(),
                torch_rng_state=torch.get_rng_state(),
                seconds=earlier_seconds + time.monotonic() - started,
            ),
        )
        if on_checkpoint is not None:
            on_checkpoint(step, path)
        return path

    def next_indices() -> list[int]:
        indices = []
        for _ in range(config.batch_size):
            if not order:  # a new pass over the data in a fresh random order
                order.extend(torch.randperm(len(dataset), generator=generator).tolist())
            indices.append(order.pop())
        return indices

    def sample(step: int) -> None:
        if samples.enabled and samples.callback is not None:
            samples.callback(step, trainer.render(samples.prompts, samples.seed, samples.steps, samples.guidance))

    limit = config.steps if max_steps_this_run is None else min(config.steps, resumed_from + max_steps_this_run)
    step = resumed_from
    while step < config.steps:
        stop_reason = "requested" if should_stop is not None and should_stop() else None
        if stop_reason is None and step >= limit:
            stop_reason = "step_limit"
        if stop_reason is not None:
            raise TrainingStopped(step, config.steps, stop_reason, save_checkpoint(step), resumed_from)
        step += 1
        step_loss = 0.0
        for _ in range(config.gradient_accumulation):
            indices = torch.tensor(next_indices())
            mean, std = encoded.latent_mean[indices], encoded.latent_std[indices]
            if encoded.flipped_mean is not None and encoded.flipped_std is not None:
                flip = (torch.rand(len(indices), generator=generator) < 0.5).view(-1, 1, 1, 1)
                mean = torch.where(flip, encoded.flipped_mean[indices], mean)
                std = torch.where(flip, encoded.flipped_std[indices], std)
            latents = (mean + std * torch.randn(mean.shape, generator=generator)) * scaling
            noise = torch.randn(latents.shape, generator=generator)
            timesteps = torch.randint(0, train_timesteps, (len(indices),), generator=generator)
            loss = trainer.loss(latents, encoded.text_embeddings[indices], noise, timesteps)
            if not torch.isfinite(loss):
                raise TrainingError(
                    f"the loss became {loss.item()} at step {step}; try a lower learning rate", "bad_loss"
                )
            trainer.backward(loss / config.gradient_accumulation)
            step_loss += loss.item() / config.gradient_accumulation
        trainer.optimizer_step()
        losses.append(step_loss)
        if checkpoint_every and step % checkpoint_every == 0 and step < config.steps:
            save_checkpoint(step)
        if progress is not None:
            progress(step, config.steps, step_loss)
        if samples.every and step % samples.every == 0 and step < config.steps:
            sample(step)

    metadata = {
        "base_model": config.base,
        "base_model_hash": base_hash or "",
        "rank": str(config.rank),
        "alpha": _number(config.lora_alpha),
        "target_modules": ",".join(config.target_modules),
        "steps": str(config.steps),
        "learning_rate": _number(config.learning_rate),
        "resolution": str(config.resolution),
        "seed": str(config.seed),
        "batch_size": str(config.batch_size),
        "gradient_accumulation": str(config.gradient_accumulation),
        "mixed_precision": str(trainer.weight_dtype).removeprefix("torch."),
        "random_flip": str(config.random_flip).lower(),
        "dataset_hash": dataset.sha256,
        "dataset_images": str(len(dataset)),
        "truncated_captions": str(encoded.truncated_captions),
        "final_loss": f"{losses[-1]:.6f}",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "trainer": f"aigc-contest {_version()}",
    }
    path = save_lora(trainer, out, metadata)
    if checkpoint_dir is not None and resumed_from < config.steps:
        save_checkpoint(config.steps)  # a run started again after this point only writes the file again
    sample(config.steps)
    seconds = time.monotonic() - started
    data = path.read_bytes()
    header_length = int.from_bytes(data[:HEADER_LENGTH_BYTES], "little")
    return TrainingResult(
        path=path,
        sha256=hashlib.sha256(data).hexdigest(),
        weights_sha256=hashlib.sha256(data[HEADER_LENGTH_BYTES + header_length :]).hexdigest(),
        losses=losses,
        metadata={METADATA_PREFIX + k: v for k, v in metadata.items()},
        device=trainer.device,
        seconds=seconds,
        resumed_from=resumed_from,
        steps_done=config.steps,
        base_hash=base_hash,
        total_seconds=earlier_seconds + seconds,
    )


def save_lora(trainer: LoraTrainer, out: Path, training_metadata: dict[str, str]) -> Path:
    """Write the adapters with diffusers' `save_lora_weights`, then add the training record to the
    safetensors header (diffusers writes only its own keys). The file is replaced atomically."""
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    pipeline_class = type(trainer.pipe)
    staging = out / f".staging-{os.getpid()}"
    staging.mkdir(parents=True, exist_ok=True)
    try:
        pipeline_class.save_lora_weights(
            str(staging),
            unet_lora_layers=trainer.lora_state_dict(),
            unet_lora_adapter_metadata=trainer.adapter_metadata(),
            weight_name=WEIGHT_NAME,
        )
        written = staging / WEIGHT_NAME
        with safe_open(str(written), framework="pt") as handle:
            metadata = dict(handle.metadata() or {})
        metadata.update({METADATA_PREFIX + k: v for k, v in training_metadata.items()})
        final = out / WEIGHT_NAME
        temporary = out / f".{WEIGHT_NAME}.tmp"
        save_file(load_file(str(written)), str(temporary), metadata=metadata)
        os.replace(temporary, final)
        return final
    finally:
        for leftover in staging.iterdir():
            leftover.unlink()
        staging.rmdir()


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and math.isfinite(value) else repr(float(value))


def _version() -> str:
    from aigc_contest import __version__

    return __version__
