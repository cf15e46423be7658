"""Images per second: compatible requests one at a time vs batched into shared pipeline calls.

(a) default: the tiny random-weight SD-style pipeline (CPU unless --device says otherwise);
(b) --sd15: a UNet / VAE / CLIP text encoder with Stable Diffusion 1.5's shapes and random weights, built
    from configs (no downloads), on CUDA when available, at 512 px.

Both go through DiffusersImageBackend.generate (one request per call) and generate_batch (all requests,
`--batch` images per pipeline call). Prints images/s for each, their ratio and peak memory
(torch.cuda.max_memory_allocated on GPU, ru_maxrss of the process on CPU).

    python benchmarks/generation_throughput.py
    python benchmarks/generation_throughput.py --sd15 --batch 8 --steps 20
"""

from __future__ import annotations

import argparse
import resource
import sys
import time


def build_backend(args: argparse.Namespace):  # -> DiffusersImageBackend with the pipeline in memory
    import torch

    from aigc_contest.generation.backends.diffusers_image import DiffusersImageBackend
    from aigc_contest.generation.tiny import build_image_pipeline

    if args.sd15:
        pipe = build_image_pipeline(
            sample_size=64,
            block_channels=(320, 640, 1280, 1280),
            vae_channels=(128, 256, 512, 512),
            text_hidden=768,
            text_layers=12,
            cross_attention_dim=768,
        )
    else:
        pipe = build_image_pipeline()
    dtype = torch.float16 if args.device == "cuda" else torch.float32
    pipe = pipe.to(args.device) if dtype == torch.float32 else pipe.to(args.device, dtype)
    pipe.set_progress_bar_config(disable=True)
    backend = DiffusersImageBackend(
        "sd15-random" if args.sd15 else "image-tiny",
        "(built in memory)",
        defaults={"steps": args.steps, "guidance": 7.5},
        is_test_model=True,
        device=args.device,
        max_batch=args.batch,
    )
    # Hand the in-memory pipeline over instead of saving and reloading gigabytes of random weights.
    backend._pipe, backend._base_scheduler = pipe, pipe.scheduler
    return backend


def peak_memory(device: str) -> str:
    import torch

    if device == "cuda":
        return f"{torch.cuda.max_memory_allocated() / 2**20:.0f} MiB GPU (max_memory_allocated)"
    return f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB RSS (process peak so far)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sd15", action="store_true", help="SD-1.5-shaped random model instead of the tiny one"
    )
    parser.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    parser.add_argument("--batch", type=int, default=4, help="images per pipeline call when batching")
    parser.add_argument("--requests", type=int, help="how many single-image requests (default: 2 x batch)")
    parser.add_argument("--steps", type=int, help="denoising steps (default: 4 tiny, 20 sd15)")
    parser.add_argument("--size", type=int, help="image side in px (default: 64 tiny, 512 sd15)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: 1 for stable CPU timings)")
    args = parser.parse_args(argv)

    import torch

    from aigc_contest.generation.types import ImageRequest

    args.device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if args.device == "cuda" and not torch.cuda.is_available():
        print("CUDA is not available on this machine", file=sys.stderr)
        return 1
    args.steps = args.steps or (20 if args.sd15 else 4)
    args.size = args.size or (512 if args.sd15 else 64)
    count = args.requests or 2 * args.batch
    if args.device == "cpu":
        torch.set_num_threads(args.threads or 1)

    backend = build_backend(args)
    requests = [
        ImageRequest(
            model=backend.name,
            prompt=f"picture number {i} of a cat",
            seed=i,
            width=args.size,
            height=args.size,
        )
        for i in range(count)
    ]
    backend.generate_batch(requests[: args.batch])  # warm-up: kernels, allocator, scheduler tables

    def timed(run) -> tuple[float, str]:  # type: ignore[no-untyped-def]
        if args.device == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        start = time.perf_counter()
        run()
        if args.device == "cuda":
            torch.cuda.synchronize()
        return count / (time.perf_counter() - start), peak_memory(args.device)

    single, single_memory = timed(lambda: [backend.generate(r) for r in requests])
    batched, batched_memory = timed(lambda: backend.generate_batch(requests))

    model = "SD-1.5-shaped random weights" if args.sd15 else "tiny random weights"
    device = (
        torch.cuda.get_device_name() if args.device == "cuda" else f"CPU, {torch.get_num_threads()} thread(s)"
    )
    print(f"model: {model}; device: {device}; {count} requests, {args.size}px, {args.steps} steps")
    print(f"one at a time : {single:8.2f} images/s   peak {single_memory}")
    print(f"batched x{args.batch:<4} : {batched:8.2f} images/s   peak {batched_memory}")
    print(f"batched / one at a time: {batched / single:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
