"""Time the safety layer: check_text on 2,000-character texts, and check_image on a 512x512 picture.

Run: .venv/bin/python benchmarks/bench_safety.py
"""

from __future__ import annotations

import io
import statistics
import time

from aigc_contest.safety import check_image, check_text

ENGLISH = (
    "Once upon a time a brave knight and a friendly dragon flew over the harbour to find the lost "
    "star. They met a naked mole rat who knew the way, called 2024-11-22 the best day ever. "
)
TRADITIONAL = "從前有一隻小白兔，牠和好朋友一起去海洋公園看殺人鯨。保安叔叔說這下有大麻煩了，角色情感很豐富。"
SIMPLIFIED = "从前有一只小白兔，它和好朋友一起去公园看风景。老师说我们要用肥皂洗手杀菌，白粉蝶在花丛中飞舞。"


def _text(seed: str, length: int = 2000) -> str:
    return (seed * (length // len(seed) + 1))[:length]


def _median_ms(function, *args, repeat: int = 50) -> float:  # type: ignore[no-untyped-def]
    function(*args)  # warm caches (automaton, OpenCC, ONNX session)
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function(*args)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    started = time.perf_counter()
    check_text("warm up")
    print(f"first check_text (loads lists, builds automata): {(time.perf_counter() - started) * 1000:.1f} ms")
    for name, seed in (
        ("English", ENGLISH),
        ("Traditional Chinese", TRADITIONAL),
        ("Simplified Chinese", SIMPLIFIED),
        ("mixed", ENGLISH + TRADITIONAL),
    ):
        text = _text(seed)
        assert check_text(text).allowed, name
        print(f"check_text, 2,000 chars {name:<20}: {_median_ms(check_text, text):6.2f} ms (median of 50)")

    from PIL import Image

    picture = Image.radial_gradient("L").resize((512, 512)).convert("RGB")
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    started = time.perf_counter()
    verdict = check_image(buffer.getvalue())
    print(
        f"first check_image (loads the ONNX model): {(time.perf_counter() - started) * 1000:.1f} ms, "
        f"layer={verdict.layer} score={verdict.score}"
    )
    print(
        f"check_image, 512x512 PNG bytes: {_median_ms(check_image, buffer.getvalue(), repeat=20):6.2f} ms (median of 20)"
    )


if __name__ == "__main__":
    main()
