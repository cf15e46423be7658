"""`aigc-contest models list | models tiny DIR`."""

from __future__ import annotations

import argparse

from aigc_contest.cli.common import EXIT_OK, CliError, print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("models", help="list configured models or write tiny test models")
    commands = parser.add_subparsers(dest="models_command", metavar="SUBCOMMAND", required=True)

    listing = commands.add_parser(
        "list", help="the models in $AIGC_MODELS_FILE (first of each kind is the default)"
    )
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(func=list_models)

    tiny = commands.add_parser(
        "tiny", help="write random-weight test models and DIR/models.toml (offline, a few seconds)"
    )
    tiny.add_argument(
        "dir", metavar="DIR", help="folder to write image-tiny/, text-tiny/ and models.toml into"
    )
    tiny.set_defaults(func=write_tiny_models)


def list_models(args: argparse.Namespace) -> int:
    from aigc_contest.generation.registry import RegistryError, load_registry

    try:
        registry = load_registry()
    except RegistryError as exc:
        raise CliError(str(exc), details=exc.details) from None
    defaults = {kind: next(iter(registry.names(kind)), None) for kind in ("image", "text", "guard", "speech")}
    rows = [{**e.summary(), "default": defaults[e.kind] == e.name} for e in registry.entries]
    if args.json:
        print_json({"models_file": str(registry.source) if registry.source else None, "models": rows})
        return EXIT_OK
    if not rows:
        print(
            "No models configured. Set AIGC_MODELS_FILE to a models file, or run `aigc-contest models tiny DIR`."
        )
        return EXIT_OK
    print(f"Models file: {registry.source}")
    for row in rows:
        flags = [
            flag
            for flag, on in (("default", row["default"]), ("test model (random weights)", row["test_model"]))
            if on
        ]
        suffix = f"  [{', '.join(flags)}]" if flags else ""
        print(
            f"  {row['name']:<24} {row['kind']:<5} {row['backend']:<12} {','.join(row['languages']):<20} "
            f"{row['source']}{suffix}"
        )
    return EXIT_OK


def write_tiny_models(args: argparse.Namespace) -> int:
    from aigc_contest.cli.generate import quiet_ml_logging

    try:
        quiet_ml_logging()
        from aigc_contest.generation.tiny import build_tiny_models
    except ImportError as exc:
        raise CliError(
            f"the ml extra is not installed ({exc.name}): pip install 'aigc-contest[ml]'"
        ) from None
    try:
        models_file = build_tiny_models(args.dir)
    except OSError as exc:
        raise CliError(f"cannot write test models into {args.dir}: {exc}") from None
    print(models_file)
    print(f"Use them with: export AIGC_MODELS_FILE={models_file}")
    return EXIT_OK
