"""`aigc-contest generate image PROMPT …` and `aigc-contest generate text PROMPT …`."""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import secrets
from pathlib import Path
from typing import Any

from aigc_contest.cli.common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, CliError, print_json, progress_bar


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("generate", help="make images or text with a configured model")
    commands = parser.add_subparsers(dest="generate_command", metavar="SUBCOMMAND", required=True)

    image = commands.add_parser("image", help="generate PNG images (provenance written into each file)")
    image.add_argument("prompt", metavar="PROMPT")
    image.add_argument("--model", help="a name from the models file (default: its first image model)")
    image.add_argument(
        "--seed", type=int, help="seed of the first image; image i uses seed + i (default: random)"
    )
    image.add_argument("-n", type=int, default=1, help="how many images (1-8)")
    image.add_argument("--negative", default="", metavar="T", help="what the image should not contain")
    image.add_argument("--size", metavar="WxH", help="e.g. 512x512 (default: the model's)")
    image.add_argument("--steps", type=int, help="denoising steps (default: the model's)")
    image.add_argument("--guidance", type=float, help="CFG scale (default: the model's)")
    image.add_argument(
        "--scheduler", help="euler, euler_a, ddim, lcm, dpm++, dpm++_karras, unipc, … (default: the model's)"
    )
    image.add_argument(
        "--lora", action="append", default=[], metavar="PATH[:SCALE]", help="apply a LoRA (repeatable)"
    )
    image.add_argument(
        "--out", default=".", metavar="DIR", help="folder for the PNG files (default: current)"
    )
    image.add_argument("--json", action="store_true", help="print machine-readable results")
    image.set_defaults(func=generate_image)

    text = commands.add_parser("text", help="generate text, or JSON that follows a JSON Schema")
    text.add_argument("prompt", metavar="PROMPT")
    text.add_argument("--model", help="a name from the models file (default: its first text model)")
    text.add_argument(
        "--json-schema",
        metavar="FILE",
        help="answer with JSON valid for this JSON Schema (bound strings, arrays and numbers so answers end)",
    )
    text.add_argument("--system", help="a system message")
    text.add_argument("--max-tokens", type=int, help="longest answer in tokens")
    text.add_argument("--temperature", type=float, help="0 = greedy")
    text.add_argument("--seed", type=int, help="sampling seed")
    text.add_argument("--json", action="store_true", help="print the answer with its provenance as JSON")
    text.set_defaults(func=generate_text)


def quiet_ml_logging() -> None:
    """No download/loading bars from the ML libraries on the terminal: we show our own progress."""
    import os

    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        import diffusers.utils.logging as diffusers_logging
        import transformers.utils.logging as transformers_logging
    except ImportError:
        return
    diffusers_logging.disable_progress_bar()
    transformers_logging.disable_progress_bar()
    diffusers_logging.set_verbosity_error()
    transformers_logging.set_verbosity_error()


def parse_size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*[xX*×]\s*(\d+)\s*", text)
    if not match:
        raise CliError(f"--size must look like 512x512, not {text!r}", EXIT_USAGE)
    return int(match.group(1)), int(match.group(2))


def parse_lora(text: str) -> dict[str, Any]:
    name, _, scale = text.rpartition(":")
    if name and re.fullmatch(r"-?\d+(\.\d+)?", scale):
        return {"name": name, "scale": float(scale)}
    return {"name": text, "scale": 1.0}


def _validation_details(exc: Any) -> list[str]:
    return [
        f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors(include_url=False)
    ]


def _load_registry() -> Any:
    from aigc_contest.generation.registry import RegistryError, load_registry

    try:
        return load_registry()
    except RegistryError as exc:
        raise CliError(str(exc), details=exc.details) from None


def _slug(text: str) -> str:
    return re.sub(r"[^\w.-]+", "-", text).strip("-")[:40] or "model"


def generate_image(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from aigc_contest.generation.registry import RegistryError
    from aigc_contest.generation.types import ImageRequest

    registry = _load_registry()
    try:
        entry = registry.resolve(args.model, "image")
    except RegistryError as exc:
        raise CliError(str(exc), details=exc.details) from None
    width, height = parse_size(args.size) if args.size else (entry.defaults.size_tuple() or (512, 512))
    seed = args.seed if args.seed is not None else secrets.randbelow(2**32 - 8)
    try:
        request = ImageRequest(
            model=entry.name,
            prompt=args.prompt,
            negative_prompt=args.negative or entry.defaults.negative_prompt or "",
            width=width,
            height=height,
            steps=args.steps,
            guidance=args.guidance,
            scheduler=args.scheduler,
            seed=seed,
            n=args.n,
            # pydantic validates each {name, scale} dict into a LoraSpec
            loras=tuple(parse_lora(text) for text in args.lora),  # type: ignore[misc]
        )
    except ValidationError as exc:
        raise CliError("invalid image request", EXIT_USAGE, _validation_details(exc)) from None

    out = Path(args.out).expanduser()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"cannot create output folder {out}: {exc}") from None

    images = _run_image_generation(request, registry)
    prompt_tag = hashlib.sha256(request.prompt.encode()).hexdigest()[:8]
    results = []
    for image in images:
        path = out / f"{_slug(entry.name)}-{prompt_tag}-s{image.seed}.png"
        path.write_bytes(image.png)
        results.append(
            {"path": str(path), "seed": image.seed, "provenance": image.provenance.model_dump(mode="json")}
        )
    if args.json:
        print_json({"model": entry.name, "test_model": entry.test_model, "images": results})
    else:
        for result in results:
            print(result["path"])
        if entry.test_model:
            print(f"note: {entry.name} is a test model (random weights): its images are noise.")
    return EXIT_OK


def _run_image_generation(request: Any, registry: Any) -> list[Any]:
    quiet_ml_logging()
    from aigc_contest.generation.registry import RegistryError
    from aigc_contest.generation.service import generate_images
    from aigc_contest.generation.types import GenerationError
    from aigc_contest.safety import SafetyRefusal

    try:
        with progress_bar(f"generating {request.n} image(s)", total=100) as advance:
            shown = 0.0

            def on_progress(done: int, total: int) -> None:
                nonlocal shown
                target = 100.0 * done / max(total, 1)
                advance(target - shown)
                shown = target

            return generate_images(request, registry, progress=on_progress)
    except SafetyRefusal as exc:
        raise CliError(str(exc), EXIT_REFUSED) from None
    except RegistryError as exc:
        raise CliError(str(exc), details=exc.details) from None
    except GenerationError as exc:
        raise CliError(str(exc)) from None
    except ImportError as exc:
        raise CliError(
            f"the ml extra is not installed ({exc.name}): pip install 'aigc-contest[ml]'"
        ) from None


def generate_text(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from aigc_contest.generation.registry import RegistryError
    from aigc_contest.generation.schema_model import SchemaFileError, load_schema_model
    from aigc_contest.generation.service import generate_json
    from aigc_contest.generation.service import generate_text as run_text
    from aigc_contest.generation.types import ChatMessage, GenerationError, TextRequest
    from aigc_contest.safety import SafetyRefusal

    registry = _load_registry()
    try:
        entry = registry.resolve(args.model, "text")
    except RegistryError as exc:
        raise CliError(str(exc), details=exc.details) from None
    schema = None
    if args.json_schema:
        try:
            schema = load_schema_model(args.json_schema)
        except SchemaFileError as exc:
            raise CliError(str(exc), EXIT_USAGE) from None
    messages = [ChatMessage(role="system", content=args.system)] if args.system else []
    messages.append(ChatMessage(role="user", content=args.prompt))
    fields: dict[str, Any] = {"model": entry.name, "messages": messages, "seed": args.seed}
    max_tokens = args.max_tokens or entry.defaults.max_tokens
    temperature = args.temperature if args.temperature is not None else entry.defaults.temperature
    if max_tokens is not None:
        fields["max_tokens"] = (
            max(max_tokens, 256) if schema is not None and not args.max_tokens else max_tokens
        )
    if temperature is not None:
        fields["temperature"] = temperature
    try:
        request = TextRequest(**fields)
    except ValidationError as exc:
        raise CliError("invalid text request", EXIT_USAGE, _validation_details(exc)) from None

    quiet_ml_logging()
    try:
        if schema is not None:
            value = generate_json(request, schema, registry)
            answer: Any = value.model_dump(mode="json", exclude_unset=True)
            if args.json:
                print_json({"model": entry.name, "test_model": entry.test_model, "value": answer})
            else:
                print(json.dumps(answer, ensure_ascii=False, indent=2))
            return EXIT_OK
        result = run_text(request, registry)
    except SafetyRefusal as exc:
        raise CliError(str(exc), EXIT_REFUSED) from None
    except RegistryError as exc:
        raise CliError(str(exc), details=exc.details) from None
    except GenerationError as exc:
        raise CliError(str(exc)) from None
    except ImportError as exc:
        raise CliError(
            f"the ml extra is not installed ({exc.name}): pip install 'aigc-contest[ml]'"
        ) from None
    if args.json:
        print_json({"model": entry.name, "test_model": entry.test_model, **result.model_dump(mode="json")})
    else:
        print(result.text)
    return EXIT_OK
