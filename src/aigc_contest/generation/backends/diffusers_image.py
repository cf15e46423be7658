"""Local image generation with diffusers: a hub id, a local pipeline folder or a single `.safetensors` file.

- fp16 on CUDA (bf16 on request) with PyTorch's scaled-dot-product attention (diffusers' default
  processor on torch 2), fp32 on CPU.
- One CPU `torch.Generator` per image seeded with seed + i: any image can be regenerated alone, and the
  same request and seed give the same pixels on any device.
- Compatible requests (equal `batch_key`) share one pipeline call: a list of prompts and a list of
  generators, split into chunks of `max_batch` images.
- Schedulers are swapped per request by name; LoRAs are loaded once per file (path and content hash)
  under an adapter name, activated with their scales (`LoraSpec.scale`, the weight; 0 gives exactly the
  base model's pixels) for one request and disabled afterwards, without reloading the base model. The
  result's provenance names each LoRA by file name, scale and sha256 of the file.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aigc_contest.generation.provenance import public_lora_name, public_source
from aigc_contest.generation.types import (
    Capabilities,
    GeneratedImage,
    GenerationError,
    ImageBackend,
    ImageRequest,
    Language,
    LoraSpec,
    ProgressCallback,
    Provenance,
)

# name -> (diffusers scheduler class, config overrides)
SCHEDULERS: dict[str, tuple[str, dict[str, Any]]] = {
    "euler": ("EulerDiscreteScheduler", {}),
    "euler_a": ("EulerAncestralDiscreteScheduler", {}),
    "ddim": ("DDIMScheduler", {}),
    "lcm": ("LCMScheduler", {}),
    "dpm++": ("DPMSolverMultistepScheduler", {}),
    "dpm++_karras": ("DPMSolverMultistepScheduler", {"use_karras_sigmas": True}),
    "dpm++_sde": ("DPMSolverMultistepScheduler", {"algorithm_type": "sde-dpmsolver++"}),
    "pndm": ("PNDMScheduler", {"skip_prk_steps": True}),
    "heun": ("HeunDiscreteScheduler", {}),
    "unipc": ("UniPCMultistepScheduler", {}),
}
SINGLE_FILE_SUFFIXES = (".safetensors", ".ckpt")
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".ckpt", ".pt", ".pth", ".gguf")
MAX_LOADED_LORAS = 8  # adapters kept in memory; the least recently used beyond this are deleted

_HASH_CACHE: dict[tuple[str, float, int], str] = {}


def weights_hash(path: str | Path) -> str:
    """sha256 of a weights file, or of a folder's weight files (relative names and contents, sorted).

    Files in the Hugging Face cache are links to blobs named by their sha256, which is used as is."""
    path = Path(path)
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.suffix in WEIGHT_SUFFIXES)
    digest = hashlib.sha256()
    for file in files:
        if path.is_dir():
            digest.update(file.relative_to(path).as_posix().encode())
        digest.update(_file_sha256(file).encode())
    return digest.hexdigest() if path.is_dir() else _file_sha256(path)


def _file_sha256(file: Path) -> str:
    target = file.resolve()
    if len(target.name) == 64 and target.parent.name == "blobs":  # HF cache: blob name is its sha256
        return target.name
    stat = target.stat()
    key = (str(target), stat.st_mtime, stat.st_size)
    if key not in _HASH_CACHE:
        digest = hashlib.sha256()
        with open(target, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 22), b""):
                digest.update(block)
        _HASH_CACHE[key] = digest.hexdigest()
    return _HASH_CACHE[key]


def offline_mode() -> bool:
    return any(os.environ.get(v, "").lower() in {"1", "true", "yes", "on"} for v in ("HF_HUB_OFFLINE",))


def not_cached_message(model_id: str, name: str) -> str:
    return (
        f"model {name!r} ({model_id}) is not in the local Hugging Face cache and cannot be downloaded here. "
        f"On a machine with internet run `hf download {model_id}` and copy the cache over, "
        f"or set `path` for {name!r} in the models file to a local folder."
    )


def _in_hub_cache(repo_id: str) -> bool:
    from huggingface_hub import try_to_load_from_cache

    try:
        return isinstance(try_to_load_from_cache(repo_id, "model_index.json"), str)
    except ValueError:  # not a valid repo id
        return False


@dataclass
class _Job:
    """One image of a batch: which request it belongs to and its seed."""

    request_index: int
    request: ImageRequest
    seed: int


class DiffusersImageBackend(ImageBackend):
    """A diffusers text-to-image pipeline, loaded on first use and kept loaded."""

    def __init__(
        self,
        name: str,
        source: str,
        *,
        languages: tuple[Language, ...] = ("en",),
        defaults: dict[str, Any] | None = None,
        is_test_model: bool = False,
        device: str | None = None,
        dtype: str | None = None,
        max_batch: int | None = None,
        pipeline_class: str | None = None,
        config: str | None = None,
    ) -> None:
        self.name = name
        self.source = source
        self.defaults = dict(defaults or {})
        self.is_test_model = is_test_model
        self._device = device
        self._dtype_name = dtype
        self._pipeline_class = pipeline_class  # single-file loads: e.g. "StableDiffusionXLPipeline"
        self._single_file_config = config  # single-file loads: a folder or hub id with the pipeline config
        self.capabilities = Capabilities(
            languages=languages, negative_prompt=True, seed=True, lora=True, max_batch=max_batch or 4
        )
        self._pipe: Any = None
        self._base_scheduler: Any = None
        self._model_hash: str | None = None
        self._model_revision: str | None = None
        self._loras: OrderedDict[str, str] = OrderedDict()  # lora name -> adapter name
        self._lock = threading.RLock()  # one pipeline call at a time; loading happens once

    # ----------------------------------------------------------------------------------------- loading

    @property
    def device(self) -> str:
        if self._device is None:
            import torch

            self._device = "cuda" if torch.cuda.is_available() else "cpu"
        return self._device

    def _torch_dtype(self) -> Any:
        import torch

        if self.device == "cpu":
            return torch.float32  # half precision on CPU is slow or unsupported
        return {"bf16": torch.bfloat16, "fp32": torch.float32}.get(self._dtype_name or "fp16", torch.float16)

    @property
    def pipeline(self) -> Any:
        with self._lock:
            if self._pipe is None:
                self._pipe = self._load()
                self._base_scheduler = self._pipe.scheduler
            return self._pipe

    def _load(self) -> Any:
        source = Path(self.source).expanduser()
        if not source.exists() and offline_mode() and not _in_hub_cache(self.source):
            # before importing torch and diffusers: answer at once
            raise GenerationError(not_cached_message(self.source, self.name))
        import diffusers

        dtype = self._torch_dtype()
        if source.suffix in SINGLE_FILE_SUFFIXES:
            if not source.is_file():
                raise GenerationError(f"model {self.name!r}: weights file {source} does not exist")
            cls = getattr(diffusers, self._pipeline_class or "StableDiffusionPipeline", None)
            if cls is None or not hasattr(cls, "from_single_file"):
                raise GenerationError(f"model {self.name!r}: unknown pipeline class {self._pipeline_class!r}")
            kwargs: dict[str, Any] = {"dtype": dtype}
            if self._single_file_config:
                kwargs["config"] = self._single_file_config
            try:
                pipe = cls.from_single_file(str(source), **kwargs)
            except (OSError, ValueError) as exc:
                raise GenerationError(
                    f"model {self.name!r}: could not load {source.name}: {exc}. Offline, set `config` to a local "
                    "pipeline folder of the same architecture."
                ) from exc
            self._model_hash = weights_hash(source)
        elif source.is_dir():
            pipe = self._from_pretrained(str(source), dtype, local_files_only=True)
            self._model_hash = weights_hash(source)
        elif source.exists() or self.source.startswith((".", "/", "~")) or self.source.count("/") != 1:
            raise GenerationError(
                f"model {self.name!r}: {self.source} is neither a folder nor a weights file"
            )
        else:
            pipe = self._from_hub(dtype)
        pipe.set_progress_bar_config(disable=True)
        return pipe.to(self.device)

    def _from_pretrained(self, source: str, dtype: Any, local_files_only: bool) -> Any:
        # DiffusionPipeline reads model_index.json and imports only that pipeline's classes; importing
        # AutoPipelineForText2Image would import every pipeline diffusers has (seconds on a small machine).
        from diffusers import DiffusionPipeline

        return DiffusionPipeline.from_pretrained(source, dtype=dtype, local_files_only=local_files_only)

    def _from_hub(self, dtype: Any) -> Any:
        """The local cache first (no network); download only when online, failing fast with advice."""
        from huggingface_hub import snapshot_download

        try:
            pipe = self._from_pretrained(self.source, dtype, local_files_only=True)
        except (OSError, ValueError) as cached_error:
            if offline_mode():
                raise GenerationError(not_cached_message(self.source, self.name)) from cached_error
            try:
                pipe = self._from_pretrained(self.source, dtype, local_files_only=False)
            except OSError as exc:
                raise GenerationError(f"{not_cached_message(self.source, self.name)} ({exc})") from exc
        try:
            snapshot = snapshot_download(self.source, local_files_only=True)
            self._model_hash = weights_hash(snapshot)
            self._model_revision = Path(snapshot).name  # the cache's snapshots/<commit> folder
        except (OSError, ValueError):
            self._model_hash = None
        return pipe

    def unload(self) -> None:
        """Free the pipeline (a worker calls this to make room for another model)."""
        with self._lock:
            self._pipe = None
            self._loras.clear()
            if self.device == "cuda":
                import torch

                torch.cuda.empty_cache()

    # -------------------------------------------------------------------------------------- per request

    def _scheduler_for(self, name: str | None) -> Any:
        if name is None:
            return self._base_scheduler
        key = name.lower()
        if key not in SCHEDULERS:
            raise GenerationError(f"unknown scheduler {name!r}; choose one of: {', '.join(SCHEDULERS)}")
        import diffusers

        class_name, overrides = SCHEDULERS[key]
        return getattr(diffusers, class_name).from_config(self._base_scheduler.config, **overrides)

    def _activate_loras(self, loras: tuple[LoraSpec, ...]) -> None:
        pipe = self.pipeline
        if not loras:
            return
        names: list[str] = []
        for lora in loras:
            key = _lora_cache_key(lora)
            if key not in self._loras:
                adapter = "lora_" + hashlib.sha1(key.encode()).hexdigest()[:12]
                path = Path(lora.name).expanduser()
                try:
                    if path.is_file():
                        pipe.load_lora_weights(str(path.parent), weight_name=path.name, adapter_name=adapter)
                    else:
                        pipe.load_lora_weights(lora.name, adapter_name=adapter)
                except (OSError, ValueError, KeyError) as exc:
                    raise GenerationError(f"could not load LoRA {lora.name!r}: {exc}") from exc
                self._loras[key] = adapter
            self._loras.move_to_end(key)
            names.append(self._loras[key])
        pipe.enable_lora()
        pipe.set_adapters(names, adapter_weights=[lora.scale for lora in loras])

    def _deactivate_loras(self) -> None:
        pipe = self._pipe
        if pipe is None or not self._loras:
            return
        pipe.disable_lora()
        while len(self._loras) > MAX_LOADED_LORAS:
            _, adapter = self._loras.popitem(last=False)
            pipe.delete_adapters(adapter)

    def _settings(self, request: ImageRequest) -> tuple[int, float, str | None]:
        steps = request.steps or int(self.defaults.get("steps", 25))
        guidance = (
            request.guidance if request.guidance is not None else float(self.defaults.get("guidance", 7.5))
        )
        scheduler = request.scheduler or self.defaults.get("scheduler")
        return steps, guidance, scheduler

    # ---------------------------------------------------------------------------------------- generation

    def generate(
        self, request: ImageRequest, progress: ProgressCallback | None = None
    ) -> list[GeneratedImage]:
        return self.generate_batch([request], progress)[0]

    def generate_batch(
        self, requests: list[ImageRequest], progress: ProgressCallback | None = None
    ) -> list[list[GeneratedImage]]:
        """Group requests by batch_key; each group runs in pipeline calls of up to max_batch images."""
        results: list[list[GeneratedImage]] = [[] for _ in requests]
        groups: dict[tuple[Any, ...], list[_Job]] = {}
        for index, request in enumerate(requests):
            for i in range(request.n):
                groups.setdefault(request.batch_key(), []).append(_Job(index, request, request.seed + i))
        chunks = [chunk for jobs in groups.values() for chunk in _chunks(jobs, self.capabilities.max_batch)]
        total_steps = sum(self._settings(chunk[0].request)[0] for chunk in chunks)
        done = 0
        for chunk in chunks:
            images = self._run_chunk(chunk, progress, done, total_steps)
            done += self._settings(chunk[0].request)[0]
            for job, image in zip(chunk, images, strict=True):
                results[job.request_index].append(image)
        return results

    def _run_chunk(
        self, jobs: list[_Job], progress: ProgressCallback | None, done_before: int, total_steps: int
    ) -> list[GeneratedImage]:
        import torch

        from aigc_contest.generation.provenance import png_with_provenance

        first = jobs[0].request
        steps, guidance, scheduler = self._settings(first)

        def on_step_end(
            _pipe: Any, step: int, _timestep: Any, callback_kwargs: dict[str, Any]
        ) -> dict[str, Any]:
            if progress is not None:
                progress(done_before + step + 1, total_steps)
            return callback_kwargs

        with self._lock:
            pipe = self.pipeline
            pipe.scheduler = self._scheduler_for(scheduler)
            try:
                self._activate_loras(first.loras)
                generators = [torch.Generator("cpu").manual_seed(job.seed) for job in jobs]
                negatives = [job.request.negative_prompt for job in jobs]
                with torch.inference_mode():
                    output = pipe(
                        prompt=[job.request.prompt for job in jobs],
                        negative_prompt=negatives if any(negatives) else None,
                        num_inference_steps=steps,
                        guidance_scale=guidance,
                        width=first.width,
                        height=first.height,
                        generator=generators,
                        callback_on_step_end=on_step_end,
                        output_type="pil",
                    )
            except ValueError as exc:  # settings the pipeline or scheduler rejects (size, steps, ...)
                raise GenerationError(f"model {self.name!r} cannot make this image: {exc}") from exc
            except torch.OutOfMemoryError as exc:
                raise GenerationError(
                    f"out of memory generating {len(jobs)} image(s) at {first.width}x{first.height}; "
                    "try fewer images or a smaller size"
                ) from exc
            finally:
                self._deactivate_loras()
                pipe.scheduler = self._base_scheduler

        generated = []
        for job, image in zip(jobs, output.images, strict=True):
            provenance = Provenance(
                backend="diffusers",
                model=self.name,
                model_id=public_source(self.name, self.source),  # a local model by its name, never its path
                model_hash=self._model_hash,
                model_revision=self._model_revision,
                loras=[_public_lora(lora) for lora in job.request.loras],
                prompt=job.request.prompt,
                original_prompt=job.request.original_prompt,
                negative_prompt=job.request.negative_prompt,
                seed=job.seed,
                steps=steps,
                guidance=guidance,
                scheduler=scheduler or _scheduler_name(self._base_scheduler),
                width=first.width,
                height=first.height,
                is_test_model=self.is_test_model,
                extra={"style": job.request.style} if job.request.style else {},
            )
            generated.append(
                GeneratedImage(
                    png=png_with_provenance(image, provenance), seed=job.seed, provenance=provenance
                )
            )
        return generated


def _lora_cache_key(lora: LoraSpec) -> str:
    """Which loaded adapter a LoRA is: a local file by its path and content hash (a file replaced at the
    same path, say by a new training run, is loaded afresh), anything else by its name."""
    path = Path(lora.name).expanduser()
    if path.is_file():
        try:
            return f"{lora.name}@{weights_hash(path)}"
        except OSError:
            pass
    return lora.name


def _public_lora(lora: LoraSpec) -> LoraSpec:
    """A LoRA as a provenance record names it: file name and weights hash for a local file, never its path."""
    path = Path(lora.name).expanduser()
    digest = lora.sha256
    if digest is None and path.exists():
        try:
            digest = weights_hash(path)
        except OSError:
            digest = None
    return LoraSpec(name=public_lora_name(lora.name), scale=lora.scale, sha256=digest)


def _scheduler_name(scheduler: Any) -> str | None:
    """Our short name for a scheduler instance, or its class name."""
    if scheduler is None:
        return None
    class_name = type(scheduler).__name__
    for name, (cls, overrides) in SCHEDULERS.items():
        if cls == class_name and all(scheduler.config.get(k) == v for k, v in overrides.items()):
            return name
    return class_name


def _chunks(jobs: list[_Job], size: int) -> Iterator[list[_Job]]:
    for start in range(0, len(jobs), max(1, size)):
        yield jobs[start : start + size]
