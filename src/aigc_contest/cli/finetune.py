"""`aigc-contest finetune train DATASET --base MODEL --out DIR …`, `aigc-contest finetune inspect FILE` and
`aigc-contest finetune export LORA --format kohya|diffusers --out FILE`."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from aigc_contest.cli.common import (
    EXIT_DEFECTS,
    EXIT_ERROR,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    CliError,
    print_json,
    progress_bar,
)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("finetune", help="train a LoRA on a data set, inspect a LoRA file, or convert it")
    commands = parser.add_subparsers(dest="finetune_command", metavar="SUBCOMMAND", required=True)

    train = commands.add_parser(
        "train",
        help="train a LoRA (writes DIR/pytorch_lora_weights.safetensors)",
        description="Train a LoRA on a folder of images with captions (cat.png + cat.txt, or a metadata.jsonl "
        'with {"file_name", "text"} lines). Every caption and image goes through the safety layer first. '
        "Exit status 3 when the safety layer refuses something, 4 when the data set has other problems.",
    )
    train.add_argument("dataset", metavar="DATASET", help="the data set folder")
    train.add_argument(
        "--base",
        required=True,
        metavar="MODEL",
        help="a diffusers pipeline folder, a hub id (owner/name) or an image model name from the models file",
    )
    train.add_argument("--out", required=True, metavar="DIR", help="folder for the LoRA file")
    train.add_argument("--steps", type=int, default=500, metavar="N", help="optimizer steps (default: 500)")
    train.add_argument("--rank", type=int, default=4, metavar="R", help="LoRA rank (default: 4)")
    train.add_argument("--alpha", type=float, metavar="A", help="LoRA alpha (default: equal to the rank)")
    train.add_argument("--lr", type=float, default=1e-4, metavar="LR", help="learning rate (default: 1e-4)")
    train.add_argument(
        "--resolution", type=int, default=512, metavar="PX", help="training size in pixels (default: 512)"
    )
    train.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default: 0)")
    train.add_argument("--batch-size", type=int, default=1, metavar="B", help="images per step (default: 1)")
    train.add_argument(
        "--grad-accum", type=int, default=1, metavar="K", help="gradient accumulation steps (default: 1)"
    )
    train.add_argument(
        "--mixed-precision",
        choices=["auto", "no", "fp16", "bf16"],
        default="auto",
        help="auto: bf16/fp16 on a CUDA GPU, fp32 on a CPU (default: auto)",
    )
    train.add_argument("--flip", action="store_true", help="also train on mirrored images")
    train.add_argument(
        "--checkpoint-every",
        type=int,
        default=0,
        metavar="N",
        help="write DIR/checkpoint every N steps; the same command run again resumes from it, and Ctrl-C "
        "stops at the next step with a checkpoint (default: 0, no checkpoints)",
    )
    train.add_argument(
        "--sample-prompt",
        action="append",
        default=[],
        metavar="TEXT",
        help="a prompt to draw with the LoRA as it trains (repeatable; pictures go to DIR/samples)",
    )
    train.add_argument(
        "--sample-every", type=int, default=0, metavar="N", help="draw the sample prompts every N steps and at the end"
    )
    train.add_argument("--sample-seed", type=int, default=0, metavar="S", help="seed of the first sample (default: 0)")
    train.add_argument("--json", action="store_true", help="print the result as JSON")
    train.set_defaults(func=cmd_train)

    inspect = commands.add_parser(
        "inspect",
        help="describe a LoRA .safetensors file without loading it",
        description="Read a LoRA file's header (never unpickles: .ckpt/.bin/.pt files are refused) and show "
        "its rank, target layers, size and training record. Exit status 4 when the file is not an "
        "acceptable LoRA.",
    )
    inspect.add_argument("file", metavar="FILE")
    inspect.add_argument("--json", action="store_true", help="print the description as JSON")
    inspect.set_defaults(func=cmd_inspect)

    export = commands.add_parser(
        "export",
        help="convert a LoRA between the Kohya and diffusers key layouts",
        description="Write LORA in the Kohya layout (lora_unet_… keys with lora_down / lora_up / alpha, for "
        "A1111, ComfyUI and sd-scripts) or the diffusers layout (unet.….lora.down / lora.up, for diffusers "
        "and this platform). Each layer changes the model exactly as before. Exit status 4 when LORA is not "
        "an acceptable LoRA file.",
    )
    export.add_argument("lora", metavar="LORA", help="a LoRA .safetensors file")
    export.add_argument("--format", required=True, choices=["kohya", "diffusers"], help="the layout to write")
    export.add_argument("--out", required=True, metavar="FILE", help="the .safetensors file to write")
    export.add_argument("--json", action="store_true", help="print the result as JSON")
    export.set_defaults(func=cmd_export)


# ---------------------------------------------------------------------------------------- train


def _resolve_base(base: str) -> str:
    """A path or hub id as given; otherwise an image model name from $AIGC_MODELS_FILE."""
    if Path(base).expanduser().exists() or base.count("/") == 1 or not os.environ.get("AIGC_MODELS_FILE"):
        return base
    from aigc_contest.generation.registry import RegistryError, load_registry

    try:
        entry = load_registry().resolve(base, "image")
    except RegistryError as exc:
        raise CliError(str(exc), details=getattr(exc, "details", [])) from exc
    if entry.backend != "diffusers":
        raise CliError(f"model {base!r} uses the {entry.backend} backend; only diffusers models can be fine-tuned")
    return entry.source


def cmd_train(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from aigc_contest.finetune.dataset import DatasetInvalid, load_dataset
    from aigc_contest.finetune.lora import TrainingConfig

    try:
        config = TrainingConfig(
            base=_resolve_base(args.base),
            steps=args.steps,
            rank=args.rank,
            alpha=args.alpha,
            learning_rate=args.lr,
            resolution=args.resolution,
            seed=args.seed,
            batch_size=args.batch_size,
            gradient_accumulation=args.grad_accum,
            mixed_precision=args.mixed_precision,
            random_flip=args.flip,
        )
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise CliError("invalid training settings", EXIT_USAGE, problems) from exc

    try:
        dataset = load_dataset(args.dataset)
    except DatasetInvalid as exc:
        raise CliError(str(exc), EXIT_REFUSED if exc.refused else EXIT_DEFECTS, [str(d) for d in exc.defects]) from exc
    return _run_training(args, dataset, config)


def _run_training(args: argparse.Namespace, dataset: Any, config: Any) -> int:
    import signal
    import sys
    import threading

    from aigc_contest.cli.generate import quiet_ml_logging

    try:
        import torch  # noqa: F401
    except ImportError as exc:
        raise CliError("training needs the ml extra: pip install 'aigc-contest[ml]'") from exc
    from aigc_contest.finetune.checkpoint import CHECKPOINT_NAME
    from aigc_contest.finetune.lora import TrainingError, TrainingStopped, train_lora
    from aigc_contest.finetune.model_card import build_model_card, render_model_card_markdown

    if args.checkpoint_every < 0 or args.sample_every < 0:
        raise CliError("--checkpoint-every and --sample-every must be 0 or more", EXIT_USAGE)
    quiet_ml_logging()
    for warning in dataset.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    out = Path(args.out).expanduser()
    checkpoints = out / "checkpoint"
    use_checkpoints = args.checkpoint_every > 0 or (checkpoints / CHECKPOINT_NAME).is_file()
    samples: list[str] = []

    def save_samples(step: int, pngs: list[bytes]) -> None:
        folder = out / "samples"
        folder.mkdir(parents=True, exist_ok=True)
        for index, png in enumerate(pngs):
            target = folder / f"step-{step:06d}-{index}.png"
            target.write_bytes(png)
            samples.append(str(target))

    interrupted = threading.Event()
    previous_handler = None
    if use_checkpoints and threading.current_thread() is threading.main_thread():
        previous_handler = signal.signal(signal.SIGINT, lambda *_: interrupted.set())
    try:
        with progress_bar("training LoRA", config.steps) as advance:
            result = train_lora(
                dataset,
                config,
                out,
                progress=lambda step, total, loss: advance(1, f"training LoRA (loss {loss:.4f})"),
                checkpoint_dir=checkpoints if use_checkpoints else None,
                checkpoint_every=args.checkpoint_every,
                should_stop=interrupted.is_set,
                sample_prompts=args.sample_prompt,
                sample_every=args.sample_every,
                sample_seed=args.sample_seed,
                on_sample=save_samples if args.sample_prompt else None,
            )
    except TrainingStopped as exc:
        raise CliError(
            f"stopped after step {exc.step} of {exc.total}; run the same command again to resume from the checkpoint"
        ) from exc
    except TrainingError as exc:
        raise CliError(str(exc)) from exc
    finally:
        if previous_handler is not None:
            signal.signal(signal.SIGINT, previous_handler)
    card_path = out / "README.md"
    card_path.write_text(render_model_card_markdown(build_model_card(result, config, dataset)), encoding="utf-8")
    summary = {
        "path": str(result.path),
        "sha256": result.sha256,
        "images": len(dataset),
        "steps": config.steps,
        "resumed_from": result.resumed_from,
        "final_loss": result.losses[-1],
        "device": result.device,
        "seconds": round(result.seconds, 2),
        "model_card": str(card_path),
        "samples": samples,
        "metadata": result.metadata,
    }
    if args.json:
        print_json(summary)
    else:
        print(f"wrote {result.path}")
        print(
            f"  {len(dataset)} images, {config.steps} steps on {result.device} in {result.seconds:.1f} s, "
            f"final loss {result.losses[-1]:.4f}"
        )
        print(f"  sha256 {result.sha256}")
        if result.resumed_from:
            print(f"  resumed from the checkpoint at step {result.resumed_from}")
        print(f"  model card {card_path}" + (f", {len(samples)} sample pictures in {out / 'samples'}" if samples else ""))
    return EXIT_OK


# ---------------------------------------------------------------------------------------- inspect


def cmd_inspect(args: argparse.Namespace) -> int:
    from aigc_contest.finetune.inspect import LoraFileError, inspect_lora_file

    try:
        info = inspect_lora_file(args.file)
    except LoraFileError as exc:
        # A missing file is an ordinary error; every other refusal is a defect of the file itself.
        raise CliError(f"{args.file}: {exc.reason}", EXIT_ERROR if exc.code == "missing" else EXIT_DEFECTS) from exc
    except OSError as exc:
        raise CliError(f"cannot read {args.file}: {exc.strerror or exc}") from exc
    if args.json:
        print_json(info.to_dict())
        return EXIT_OK
    print(f"{args.file}: LoRA ({info.format} format) for {', '.join(info.components)}")
    ranks = f"rank {info.rank}" + (f" (ranks {', '.join(map(str, info.ranks))})" if len(info.ranks) > 1 else "")
    alpha = f", alpha {info.alpha:g}" if info.alpha is not None else ""
    print(f"  {ranks}{alpha}, {info.modules} layers: {', '.join(info.target_modules)}")
    print(
        f"  {info.tensor_count} tensors, {info.total_params:,} parameters ({', '.join(info.dtypes)}), "
        f"{info.file_size / 1024:.1f} KB"
    )
    for key, value in info.training.items():
        print(f"  {key}: {value}")
    return EXIT_OK


# ---------------------------------------------------------------------------------------- export


def cmd_export(args: argparse.Namespace) -> int:
    from aigc_contest.finetune.convert import export_lora
    from aigc_contest.finetune.inspect import LoraFileError

    if Path(args.out).resolve() == Path(args.lora).resolve():
        raise CliError("--out must be a new file, not the LoRA being converted")
    try:
        result = export_lora(args.lora, args.format, args.out)
    except LoraFileError as exc:
        raise CliError(f"{args.lora}: {exc.reason}", EXIT_ERROR if exc.code == "missing" else EXIT_DEFECTS) from exc
    except ImportError as exc:
        raise CliError("converting needs the safetensors package: pip install 'aigc-contest[ml]'") from exc
    except OSError as exc:
        raise CliError(f"cannot convert {args.lora}: {exc.strerror or exc}") from exc
    if args.json:
        print_json(result)
    else:
        print(f"wrote {result['path']}: {result['layers']} layers, rank {result['rank']}, "
              f"{result['source_format']} → {result['format']} layout")
    return EXIT_OK
