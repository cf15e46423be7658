"""LoRA training speed: the platform's `train_lora` (checkpoints and sample pictures on) against a bare
diffusers + peft loop of the same configuration, in the same process on the same saved pipeline.

Both loops train the same adapters (rank, alpha, target layers), with the same optimizer (AdamW), batch
size, resolution, precision (fp32 on a CPU; bf16/fp16 autocast on CUDA, as `mixed_precision="auto"`) and
gradient clipping, on latents and caption embeddings computed once before the loop. The bare loop is what
diffusers' LoRA example does per step, with nothing else; the platform run also writes a checkpoint every
`--checkpoint-every` steps and renders `--prompts` sample pictures every `--sample-every` steps.

Reported for each: steps/s over the steps after the first `--warmup` (mid-run checkpoints and samples
included, loading and the final save not), wall time of the whole call, and peak memory (CUDA:
max_memory_allocated; CPU: the peak rise of the process RSS during the run). The ratio is platform/bare;
the aim is >= 0.9. A round of sample pictures costs about as much as ten training steps (prompts x
denoising steps x 2 for guidance, plus the VAE decode), so the ratio mostly says how often samples come:
every 100 steps (the default) costs a few per cent, every 20 steps far more.

    python benchmarks/finetune_lora.py                          # tiny random pipeline on the CPU
    python benchmarks/finetune_lora.py --sd15 --device cuda     # SD-1.5-shaped UNet, 512 px, batch 1
    python benchmarks/finetune_lora.py --sd15 --device cuda --batch 4
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any


def build_pipeline(args: argparse.Namespace, folder: Path) -> None:
    from aigc_contest.generation.tiny import build_image_pipeline

    if args.sd15:  # SD 1.5's UNet and VAE shapes, a 12-layer 768-wide text encoder; random weights
        pipe = build_image_pipeline(
            sample_size=64, block_channels=(320, 640, 1280, 1280), vae_channels=(128, 256, 512, 512),
            text_hidden=768, text_layers=12, cross_attention_dim=768,
        )
    else:
        pipe = build_image_pipeline()
    pipe.save_pretrained(folder, safe_serialization=True)


def build_dataset(folder: Path, count: int, size: int) -> Any:
    from PIL import Image

    from aigc_contest.finetune.dataset import load_dataset

    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        colour = ((i * 70) % 256, (i * 130 + 60) % 256, (i * 190 + 120) % 256)
        image = Image.new("RGB", (size, size), colour)
        image.paste(tuple(255 - c for c in colour), (size // 4, size // 4, size // 2 + i % 4 * 4, size // 2))
        image.save(folder / f"picture-{i}.png")
        (folder / f"picture-{i}.txt").write_text(f"a square picture number {i} in bright colours", encoding="utf-8")
    return load_dataset(folder)


class PeakMemory:
    """Peak GPU memory allocated, or the peak rise of this process's RSS (sampled every 5 ms)."""

    def __init__(self, device: str) -> None:
        self.device = device
        self.peak = 0
        self._stop = threading.Event()

    @staticmethod
    def _rss() -> int:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def __enter__(self) -> PeakMemory:
        import torch

        gc.collect()
        if self.device.startswith("cuda"):
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
            self._base = torch.cuda.memory_allocated()
        else:
            self._base = self._rss()
            self._thread = threading.Thread(target=self._watch, daemon=True)
            self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self._rss() - self._base)

    def __exit__(self, *exc: object) -> None:
        import torch

        if self.device.startswith("cuda"):
            torch.cuda.synchronize()
            self.peak = torch.cuda.max_memory_allocated() - self._base
        else:
            self._stop.set()
            self._thread.join()

    def __str__(self) -> str:
        kind = "GPU allocated" if self.device.startswith("cuda") else "RSS rise"
        return f"{self.peak / 2**20:.0f} MiB {kind}"


def bare_loop(args: argparse.Namespace, base: Path, dataset: Any, config: Any) -> tuple[float, float, list[float]]:
    """diffusers' LoRA recipe, nothing else: (steps/s after warm-up, wall seconds, losses)."""
    import torch
    import torch.nn.functional as F
    from diffusers import DDPMScheduler, DiffusionPipeline
    from peft import LoraConfig

    from aigc_contest.finetune.lora import _image_tensor, _weight_dtype

    started = time.perf_counter()
    device = args.device
    dtype = _weight_dtype("auto", device)
    pipe = DiffusionPipeline.from_pretrained(str(base), local_files_only=True)
    unet, vae, text_encoder = pipe.unet, pipe.vae, pipe.text_encoder
    for module in (unet, vae, text_encoder):
        module.requires_grad_(False)
    unet.to(device, dtype)
    text_encoder.to(device, dtype)
    vae.to(device)
    unet.add_adapter(LoraConfig(r=config.rank, lora_alpha=config.rank, init_lora_weights="gaussian",
                                target_modules=list(config.target_modules)))
    params = [p for p in unet.parameters() if p.requires_grad]
    for p in params:
        p.data = p.data.float()
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=1e-2)
    scaler = torch.amp.GradScaler("cuda") if dtype == torch.float16 else None
    scheduler = DDPMScheduler.from_config(pipe.scheduler.config)
    with torch.no_grad():
        pixels = torch.stack([_image_tensor(item.image, config.resolution) for item in dataset.items]).to(device)
        latents_all = vae.encode(pixels).latent_dist.sample() * vae.config.scaling_factor
        tokens = pipe.tokenizer([item.caption for item in dataset.items], padding="max_length",
                                max_length=pipe.tokenizer.model_max_length, truncation=True, return_tensors="pt")
        embeddings_all = text_encoder(tokens.input_ids.to(device))[0]
    vae.to("cpu")
    unet.train()
    autocast = dtype != torch.float32
    losses: list[float] = []
    mark = time.perf_counter()
    for step in range(1, config.steps + 1):
        if step == args.warmup + 1:
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            mark = time.perf_counter()
        indices = torch.randint(0, len(dataset), (config.batch_size,), device=device)
        latents = latents_all[indices]
        noise = torch.randn_like(latents)
        timesteps = torch.randint(0, scheduler.config.num_train_timesteps, (config.batch_size,), device=device)
        noisy = scheduler.add_noise(latents, noise, timesteps)
        with torch.autocast(device.split(":")[0], dtype=dtype, enabled=autocast):
            prediction = unet(noisy.to(dtype), timesteps, embeddings_all[indices].to(dtype)).sample
        loss = F.mse_loss(prediction.float(), noise.float())
        (scaler.scale(loss) if scaler else loss).backward()
        if scaler:
            scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(params, config.max_grad_norm)
        if scaler:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss.item())
    rate = (config.steps - args.warmup) / (time.perf_counter() - mark)
    del pipe, unet, vae, text_encoder, optimizer, params
    return rate, time.perf_counter() - started, losses


def platform_run(args: argparse.Namespace, dataset: Any, config: Any, work: Path) -> tuple[float, float, dict[str, int]]:
    """train_lora with checkpoints and samples: (steps/s after warm-up, wall seconds, event counts)."""
    import torch

    from aigc_contest.finetune.lora import train_lora

    marks: dict[int, float] = {}
    counts = {"samples": 0, "checkpoints": 0}

    def progress(step: int, total: int, loss: float) -> None:
        if step in (args.warmup, config.steps):
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            marks[step] = time.perf_counter()

    def on_sample(step: int, pngs: list[bytes]) -> None:
        counts["samples"] += 1

    started = time.perf_counter()
    prompts = [f"a square picture number {i} in bright colours" for i in range(args.prompts)]
    train_lora(
        dataset, config, work / "out", progress,
        checkpoint_dir=work / "checkpoints", checkpoint_every=args.checkpoint_every,
        sample_prompts=prompts, sample_every=args.sample_every, on_sample=on_sample,
        sample_steps=args.sample_steps, on_checkpoint=lambda step, path: counts.update(checkpoints=counts["checkpoints"] + 1),
    )
    wall = time.perf_counter() - started
    rate = (config.steps - args.warmup) / (marks[config.steps] - marks[args.warmup])
    return rate, wall, counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sd15", action="store_true", help="an SD-1.5-shaped UNet (random weights), 512 px")
    parser.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    parser.add_argument("--steps", type=int, help="optimizer steps per run (default: 200)")
    parser.add_argument("--warmup", type=int, default=10, help="steps left out of the rate (default: 10)")
    parser.add_argument("--batch", type=int, default=1, help="images per step (default: 1)")
    parser.add_argument("--rank", type=int, default=4, help="LoRA rank (default: 4)")
    parser.add_argument("--size", type=int, help="resolution in px (default: 64 tiny, 512 sd15)")
    parser.add_argument("--images", type=int, default=8, help="training images (default: 8)")
    parser.add_argument("--checkpoint-every", type=int, default=50, help="steps between checkpoints (default: 50)")
    parser.add_argument("--sample-every", type=int, default=100,
                        help="steps between sample pictures (default: 100)")
    parser.add_argument("--prompts", type=int, default=2, help="sample prompts (default: 2)")
    parser.add_argument("--sample-steps", type=int, default=10, help="denoising steps per sample (default: 10)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: 1 on a CPU for stable timings)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures to FILE as JSON")
    args = parser.parse_args(argv)

    try:
        import torch
    except ImportError:
        print("this benchmark needs the ml extra: pip install 'aigc-contest[ml]'", file=sys.stderr)
        return 1
    from aigc_contest.cli.generate import quiet_ml_logging
    from aigc_contest.finetune.lora import TrainingConfig

    quiet_ml_logging()
    args.device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if args.threads or args.device == "cpu":
        torch.set_num_threads(args.threads or 1)
    args.steps = args.steps or 200
    size = args.size or (512 if args.sd15 else 64)
    if args.warmup >= args.steps:
        parser.error("--warmup must be smaller than --steps")

    with tempfile.TemporaryDirectory(prefix="finetune-bench-") as tmp:
        work = Path(tmp)
        built = time.perf_counter()
        build_pipeline(args, work / "base")
        dataset = build_dataset(work / "data", args.images, size)
        config = TrainingConfig(base=str(work / "base"), steps=args.steps, rank=args.rank, resolution=size,
                                batch_size=args.batch, learning_rate=1e-4, device=args.device)
        print(f"{'sd15-shaped' if args.sd15 else 'tiny'} pipeline, {args.images} images, {size} px, batch {args.batch}, "
              f"rank {args.rank}, {args.steps} steps on {args.device} "
              f"({torch.cuda.get_device_name() if args.device.startswith('cuda') else f'{torch.get_num_threads()} thread(s)'}); "
              f"built in {time.perf_counter() - built:.1f} s")

        with PeakMemory(args.device) as bare_memory:
            bare_rate, bare_wall, _ = bare_loop(args, work / "base", dataset, config)
        gc.collect()
        with PeakMemory(args.device) as platform_memory:
            platform_rate, platform_wall, counts = platform_run(args, dataset, config, work)

    print(f"bare diffusers+peft loop: {bare_rate:7.2f} steps/s  wall {bare_wall:6.1f} s  peak {bare_memory}")
    print(f"train_lora (platform):    {platform_rate:7.2f} steps/s  wall {platform_wall:6.1f} s  peak {platform_memory}"
          f"  ({counts['checkpoints']} checkpoints, {counts['samples']} sample rounds of {args.prompts} "
          f"pictures x {args.sample_steps} steps)")
    ratio = platform_rate / bare_rate
    print(f"ratio platform/bare: {ratio:.2f} ({'meets' if ratio >= 0.9 else 'below'} the 0.9 aim)")
    if args.json:
        import json

        figures = {
            "device": args.device, "sd15": args.sd15, "steps": args.steps, "batch": args.batch, "resolution": size,
            "bare": {"steps_per_s": bare_rate, "wall_s": bare_wall, "peak_bytes": bare_memory.peak},
            "platform": {"steps_per_s": platform_rate, "wall_s": platform_wall, "peak_bytes": platform_memory.peak,
                         **counts},
            "ratio": ratio,
        }
        Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
