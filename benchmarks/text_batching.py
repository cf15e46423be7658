"""Writing throughput: thirty text requests one at a time vs batched into shared `generate` calls.

The tiny random-weight Qwen2-shaped model (generation.tiny) through TransformersTextBackend: `complete`
(one request per call) and `complete_batch` (left-padded rows, `--batch` requests per call), in the same
run on the same loaded model. Prompts differ in length (so padding is exercised) and each request keeps its
own `max_tokens` (so rows finish at different steps). Prints requests/s and generated tokens/s for each, the
speed-up over one at a time, and whether every batched answer equals its unbatched one.

    python benchmarks/text_batching.py                      # 30 greedy requests, batches of 4, 8, 16
    python benchmarks/text_batching.py --temperature 0.7    # seeded sampling (each row its own seed)
    python benchmarks/text_batching.py --qwen-0.5b --device cuda   # Qwen2.5-0.5B shapes, random weights
    python benchmarks/text_batching.py --outlines 16 --batch 8     # storybook outline steps (constrained
                                                                   # JSON), one job at a time vs gathered
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

PROMPTS = [
    "a cat",
    "寫一個關於小貓的故事",
    "a story about a dragon who bakes bread for the whole village every morning",
    "一隻小狗去海邊",
    "the moon and the little boat",
    "a robot who learns to paint with the colours of the sunset over the harbour",
]


def build_backend(args: argparse.Namespace, folder: Path):  # -> TransformersTextBackend
    from aigc_contest.generation.backends.transformers_text import TransformersTextBackend
    from aigc_contest.generation.tiny import build_text_model

    model, tokenizer = build_text_model()
    if args.qwen_05b:  # Qwen2.5-0.5B's shapes around the tiny tokenizer (no downloads)
        from transformers import Qwen2Config, Qwen2ForCausalLM

        config = Qwen2Config(
            vocab_size=len(tokenizer),
            hidden_size=896,
            intermediate_size=4864,
            num_hidden_layers=24,
            num_attention_heads=14,
            num_key_value_heads=2,
            max_position_embeddings=4096,
            tie_word_embeddings=True,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
        model = Qwen2ForCausalLM(config)
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    return TransformersTextBackend("text-tiny", str(folder), is_test_model=True, device=args.device)


def requests(args: argparse.Namespace) -> list:  # -> list[TextRequest]
    from aigc_contest.generation.types import ChatMessage, TextRequest

    return [
        TextRequest(
            model="text-tiny",
            messages=[ChatMessage(role="user", content=PROMPTS[i % len(PROMPTS)])],
            max_tokens=args.max_tokens - (i % 4) * (args.max_tokens // 8),
            temperature=args.temperature,
            seed=i,
        )
        for i in range(args.requests)
    ]


def timed(run) -> tuple[float, list]:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    results = run()
    return time.perf_counter() - start, results


def outlines(args: argparse.Namespace, folder: Path) -> int:
    """Storybook outline steps (sequences of constrained JSON requests, as the storybook job runs them):
    one job at a time vs each job in its own thread inside a gather (generation.batching)."""
    from aigc_contest.generation.batching import run_together
    from aigc_contest.generation.registry import load_registry
    from aigc_contest.works.storybook import pipeline

    build_backend(args, folder / "text")
    models = folder / "models.toml"
    models.write_text(
        f'[[models]]\nname = "text-tiny"\nkind = "text"\nbackend = "transformers"\n'
        f'path = "{(folder / "text").as_posix()}"\ntest_model = true\n'
        f'options = {{ device = "{args.device}", max_batch = {max(args.batch)} }}\n',
        encoding="utf-8",
    )
    generator = pipeline.Generator(load_registry(models))
    plans = [
        pipeline.StoryPlan(
            brief=pipeline.BookBrief(theme=f"a kite festival {i}", pages=2, text_model="text-tiny", seed=i)
        )
        for i in range(args.outlines)
    ]
    pipeline.make_outline(plans[0], generator)  # load and warm up outside the timings
    seconds, alone = timed(lambda: [pipeline.make_outline(plan, generator) for plan in plans])
    print(f"{len(plans)} storybook outline steps, tiny model on {args.device} ({args.threads} thread(s))")
    print(f"{'mode':<24}{'seconds':>9}{'steps/s':>10}{'speed-up':>10}  same outlines")
    print(f"{'one job at a time':<24}{seconds:>9.2f}{len(plans) / seconds:>10.2f}{1.0:>9.1f}x  -")
    gathered_seconds, together = timed(
        lambda: run_together([lambda plan=plan: pipeline.make_outline(plan, generator) for plan in plans])
    )
    same = together == alone
    print(
        f"{f'gathered, batch {max(args.batch)}':<24}{gathered_seconds:>9.2f}{len(plans) / gathered_seconds:>10.2f}"
        f"{seconds / gathered_seconds:>9.1f}x  {'yes' if same else 'NO'}"
    )
    return 0 if same else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--batch", type=int, nargs="+", default=[4, 8, 16])
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--temperature", type=float, default=0.0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--qwen-0.5b", dest="qwen_05b", action="store_true")
    parser.add_argument("--outlines", type=int, default=0, help="storybook outline steps instead")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    if args.outlines:
        with tempfile.TemporaryDirectory() as tmp:
            return outlines(args, Path(tmp))
    with tempfile.TemporaryDirectory() as tmp:
        backend = build_backend(args, Path(tmp) / "text")
        asked = requests(args)
        backend.complete(asked[0])  # load and warm up outside the timings

        def tokens(results: list) -> int:
            return sum(r.provenance.extra["usage"]["completion_tokens"] for r in results)

        seconds, alone = timed(lambda: [backend.complete(request) for request in asked])
        base = len(asked) / seconds
        shape = "Qwen2.5-0.5B-shaped" if args.qwen_05b else "tiny"
        print(
            f"{len(asked)} requests, {shape} model on {args.device} ({args.threads} thread(s)), "
            f"temperature {args.temperature}, max_tokens up to {args.max_tokens}"
        )
        print(f"{'mode':<16}{'seconds':>9}{'requests/s':>12}{'tokens/s':>10}{'speed-up':>10}  same answers")
        print(
            f"{'one at a time':<16}{seconds:>9.2f}{base:>12.2f}{tokens(alone) / seconds:>10.0f}{1.0:>9.1f}x  -"
        )
        all_same = True
        for size in args.batch:
            backend.capabilities = backend.capabilities.model_copy(update={"max_batch": size})
            seconds, together = timed(lambda: backend.complete_batch(asked))
            same = [a.text for a in alone] == [t.text for t in together]
            all_same &= same
            rate = len(asked) / seconds
            print(
                f"{f'batch {size}':<16}{seconds:>9.2f}{rate:>12.2f}{tokens(together) / seconds:>10.0f}"
                f"{rate / base:>9.1f}x  {'yes' if same else 'NO'}"
            )
    return 0 if all_same else 1


if __name__ == "__main__":
    sys.exit(main())
