"""Advisory judging signals at scale: near-duplicate pictures and texts among 100,000 of each.

Pictures: 64×64 structured random images (a two-colour gradient, six rectangles and ellipses of random
size, place and colour, a noise texture). 5 % of the set are planted near copies of other pictures, a
quarter of each kind: a **crop** (2–8 % trimmed from each side, kept at its smaller size), a **re-encode**
(JPEG at quality 25–70), a **colour shift** (contrast ×0.8–1.2, each channel ±35), a **small edit** (a
6–13 px square painted over).
Texts: half Chinese (80–240 characters drawn by frequency from wordfreq's Chinese list), half English
(40–120 words drawn by frequency from its English list). 5 % are planted copies: an **exact copy**, a
**light paraphrase** (about 8 % of the words or characters replaced, inserted or deleted, punctuation and
case changed), a **Traditional/Simplified swap** (a Chinese text converted with OpenCC s2t), a
**swap + paraphrase**.

Timed: *indexing* (hashing, from decoded pixels or raw strings: grayscale, thumbnails, pHash/dHash; text
normalisation with OpenCC, shingling, MinHash) and *all-pairs search* (every near-duplicate pair in the
set). Generating the data is set-up and not timed. Printed per modality: seconds for each phase,

* **recall**: planted (original, copy) pairs reported / planted pairs, overall and per kind of copy;
* **false pairs**: reported pairs that are not a planted (original, copy) pair, as a fraction of all
  reported pairs;

and, at the end, the process's peak memory (max RSS). Targets: each phase < 30 s, recall ≥ 0.95,
false pairs ≤ 1 %.

    .venv/bin/python benchmarks/judge_signals.py [--images N] [--texts N] [--seed S]
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import time

# one BLAS thread: on a small shared machine extra threads only contend (set before numpy loads)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from aigc_contest.judging.signals.image_duplicates import image_self_pairs
from aigc_contest.judging.signals.image_hashes import ImageHashes, hash_images
from aigc_contest.judging.signals.text_duplicates import TextIndex, text_self_pairs

SIZE = 64
PLANTED_SHARE = 0.05
TARGET_SECONDS = 30.0


# ---------------------------------------------------------------- pictures


def make_images(n: int, rng: np.random.Generator, batch: int = 512) -> np.ndarray:
    yy, xx = (g.astype(np.float32) / SIZE for g in np.mgrid[0:SIZE, 0:SIZE])
    textures = rng.integers(-10, 11, (64, SIZE, SIZE, 3)).astype(np.int16)
    out = np.empty((n, SIZE, SIZE, 3), dtype=np.uint8)
    for start in range(0, n, batch):
        b = min(batch, n - start)
        angle = rng.uniform(0, 2 * np.pi, (b, 1, 1)).astype(np.float32)
        t = np.cos(angle) * xx + np.sin(angle) * yy
        t -= t.min(axis=(1, 2), keepdims=True)
        t /= t.max(axis=(1, 2), keepdims=True)
        c0 = rng.uniform(0, 255, (b, 1, 1, 3)).astype(np.float32)
        c1 = rng.uniform(0, 255, (b, 1, 1, 3)).astype(np.float32)
        img = (c0 + (c1 - c0) * t[..., None]).astype(np.uint8)
        for _ in range(6):
            cx, cy = rng.uniform(0, 1, (2, b, 1, 1)).astype(np.float32)
            rx, ry = rng.uniform(0.05, 0.25, (2, b, 1, 1)).astype(np.float32)
            dx, dy = np.abs(xx - cx) / rx, np.abs(yy - cy) / ry
            ellipse = rng.random((b, 1, 1)) < 0.5
            inside = np.where(ellipse, dx * dx + dy * dy < 1, (dx < 1) & (dy < 1))
            colour = rng.integers(0, 256, (b, 1, 1, 3), dtype=np.uint8)
            np.copyto(img, np.broadcast_to(colour, img.shape), where=inside[..., None])
        noisy = img.astype(np.int16) + textures[rng.integers(0, len(textures), b)]
        out[start : start + b] = np.clip(noisy, 0, 255).astype(np.uint8)
    return out


def crop(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    top, bottom, left, right = (rng.uniform(0.02, 0.08, 4) * SIZE).astype(int)
    return a[top : SIZE - bottom, left : SIZE - right]


def reencode(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(a).save(buffer, "JPEG", quality=int(rng.integers(25, 71)))
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))


def colour_shift(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    shifted = a.astype(np.float32) * rng.uniform(0.8, 1.2) + rng.uniform(-35, 35, 3)
    return np.clip(shifted, 0, 255).astype(np.uint8)


def small_edit(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    a = a.copy()
    side = int(rng.integers(6, 14))
    y, x = rng.integers(0, SIZE - side, 2)
    a[y : y + side, x : x + side] = rng.integers(0, 256, 3)
    return a


IMAGE_EDITS = {"crop": crop, "re-encode": reencode, "colour shift": colour_shift, "small edit": small_edit}


def report(name: str, truth: dict[tuple[int, int], str], a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    found = set(zip(a.tolist(), b.tolist(), strict=True))
    kinds = sorted(set(truth.values()))
    per_kind = []
    for kind in kinds:
        planted = [pair for pair, k in truth.items() if k == kind]
        per_kind.append(f"{kind} {sum(p in found for p in planted) / len(planted):.3f}")
    recall = sum(pair in found for pair in truth) / max(len(truth), 1)
    false = sum(pair not in truth for pair in found)
    false_rate = false / max(len(found), 1)
    print(f"  reported pairs {len(found):,}; planted pairs {len(truth):,}")
    print(f"  recall {recall:.4f} ({'; '.join(per_kind)})")
    print(f"  false pairs {false:,} = {100 * false_rate:.2f} % of reported pairs")
    return recall, false_rate


def bench_images(n: int, rng: np.random.Generator) -> list[bool]:
    copies = int(n * PLANTED_SHARE)
    started = time.perf_counter()
    originals = make_images(n - copies, rng)
    sources = rng.choice(n - copies, copies, replace=False)
    kinds = list(IMAGE_EDITS)
    planted, truth = [], {}
    for k, source in enumerate(sources):
        kind = kinds[k % len(kinds)]
        planted.append(IMAGE_EDITS[kind](originals[source], rng))
        truth[(int(source), n - copies + k)] = kind
    print(f"pictures: {n:,} ({copies:,} planted copies), set-up {time.perf_counter() - started:.1f} s")

    started, cpu = time.perf_counter(), time.process_time()
    hashes = ImageHashes.concat([hash_images(originals), hash_images(planted)])
    hashing, hashing_cpu = time.perf_counter() - started, time.process_time() - cpu
    started, cpu = time.perf_counter(), time.process_time()
    pairs = image_self_pairs(hashes)
    searching, searching_cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"  indexing (thumbnails + hashing) {hashing:.2f} s (CPU {hashing_cpu:.2f} s); "
        f"all-pairs search {searching:.2f} s (CPU {searching_cpu:.2f} s)"
    )
    recall, false_rate = report("pictures", truth, pairs.a, pairs.b)
    return [hashing < TARGET_SECONDS, searching < TARGET_SECONDS, recall >= 0.95, false_rate <= 0.01]


# ---------------------------------------------------------------- texts


def vocabularies() -> tuple[list[str], np.ndarray, list[str], np.ndarray]:
    import wordfreq

    def top(lang: str, keep, limit: int) -> tuple[list[str], np.ndarray]:
        words, weights = [], []
        for word, frequency in wordfreq.get_frequency_dict(lang, wordlist="small").items():
            if keep(word):
                words.append(word)
                weights.append(frequency)
                if len(words) == limit:
                    break
        weight = np.array(weights)
        return words, weight / weight.sum()

    zh = top("zh", lambda w: all("\u4e00" <= c <= "\u9fff" for c in w), 20000)
    en = top("en", lambda w: w.isascii() and w.isalpha(), 20000)
    return zh[0], zh[1], en[0], en[1]


def _sentence(words: list[str], zh: bool, rng: np.random.Generator) -> str:
    out, pieces = [], 0
    for word in words:
        out.append(word)
        pieces += 1
        if pieces >= rng.integers(6, 14):
            out.append("，" if zh else ",")
            pieces = 0
    return ("".join(out) + "。") if zh else (" ".join(out).replace(" ,", ",").capitalize() + ".")


def make_texts(n: int, rng: np.random.Generator) -> tuple[list[str], list[bool]]:
    zh_words, zh_p, en_words, en_p = vocabularies()
    texts, chinese = [], []
    for i in range(n):
        zh = i % 2 == 0
        if zh:
            picks = rng.choice(len(zh_words), int(rng.integers(45, 130)), p=zh_p)
            words = [zh_words[k] for k in picks]
        else:
            picks = rng.choice(len(en_words), int(rng.integers(40, 121)), p=en_p)
            words = [en_words[k] for k in picks]
        texts.append(_sentence(words, zh, rng))
        chinese.append(zh)
    return texts, chinese


def paraphrase(text: str, zh: bool, rng: np.random.Generator, rate: float = 0.08) -> str:
    """Replace, insert or delete about ``rate`` of the tokens (characters in Chinese, words in English)."""
    tokens = list(text) if zh else text.split(" ")
    filler = (
        list("的了是我在有他这中大来上个国和也子时道出而要于就下得可你年生")
        if zh
        else ["very", "really", "then", "so", "quite", "little", "big", "and", "just", "also"]
    )
    out = []
    for token in tokens:
        roll = rng.random()
        if roll < rate / 3:
            out.append(filler[int(rng.integers(len(filler)))])
        elif roll < 2 * rate / 3:
            continue
        elif roll < rate:
            out.extend([token, filler[int(rng.integers(len(filler)))]])
        else:
            out.append(token)
    joined = "".join(out) if zh else " ".join(out)
    return (
        joined.replace("，", "、", 2)
        if zh
        else joined.upper()
        if rng.random() < 0.1
        else joined.replace(",", ";")
    )


def bench_texts(n: int, rng: np.random.Generator) -> list[bool]:
    from opencc import OpenCC

    started = time.perf_counter()
    copies = int(n * PLANTED_SHARE)
    texts, chinese = make_texts(n - copies, rng)
    s2t = OpenCC("s2t")
    zh_sources = [i for i in range(n - copies) if chinese[i]]
    sources = rng.choice(n - copies, copies // 2, replace=False).tolist()
    taken = set(sources)
    zh_pool = [i for i in rng.permutation(zh_sources).tolist() if i not in taken][: copies - copies // 2]
    truth = {}
    for k in range(copies):
        if k < copies // 2:
            source = sources[k]
            kind = "exact copy" if k % 2 == 0 else "light paraphrase"
        else:
            source = zh_pool[k - copies // 2]
            kind = "Traditional/Simplified swap" if k % 2 == 0 else "swap + light paraphrase"
        original = texts[source]
        if kind == "exact copy":
            copy = original
        elif kind == "light paraphrase":
            copy = paraphrase(original, chinese[source], rng)
        elif kind == "Traditional/Simplified swap":
            copy = s2t.convert(original)
        else:
            copy = s2t.convert(paraphrase(original, True, rng))
        truth[(source, len(texts))] = kind
        texts.append(copy)
    print(
        f"texts: {n:,} (half Chinese, half English; {copies:,} planted copies), "
        f"set-up {time.perf_counter() - started:.1f} s"
    )

    started, cpu = time.perf_counter(), time.process_time()
    index = TextIndex.build(texts)
    indexing, indexing_cpu = time.perf_counter() - started, time.process_time() - cpu
    started, cpu = time.perf_counter(), time.process_time()
    pairs = text_self_pairs(index)
    searching, searching_cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"  indexing (normalise, shingle, MinHash) {indexing:.2f} s (CPU {indexing_cpu:.2f} s); "
        f"all-pairs search (LSH + exact Jaccard) {searching:.2f} s (CPU {searching_cpu:.2f} s)"
    )
    recall, false_rate = report("texts", truth, pairs.a, pairs.b)
    return [indexing < TARGET_SECONDS, searching < TARGET_SECONDS, recall >= 0.95, false_rate <= 0.01]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--texts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(
        "False pairs = reported pairs that are not a planted (original, copy) pair, "
        "as a fraction of all reported pairs. Times are wall-clock (CPU in brackets) on a shared machine."
    )
    checks = []
    if args.images:
        checks += bench_images(args.images, np.random.default_rng(args.seed))
    if args.texts:
        checks += bench_texts(args.texts, np.random.default_rng(args.seed + 1))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (max RSS of the process, synthetic data included): {peak:,.0f} MiB")
    print("targets met" if all(checks) else "TARGETS NOT MET")


if __name__ == "__main__":
    main()
