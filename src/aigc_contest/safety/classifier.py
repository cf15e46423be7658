"""The offline text classifier: hashed character n-grams and a multinomial logistic regression.

Nothing to download and only numpy at run time. A text is brought to the model view (normalize.model_view:
look-alike letters, leetspeak, full-width forms, spacing and Traditional characters folded away), cut into
character 1-4-grams and Latin word 1-2-grams, each hashed with CRC-32 into one of 2**20 buckets; the
weights of the buckets seen in training (int8, one scale per class) ship as `models/text_classifier.npz`,
built from `corpus/*.tsv` by `python -m aigc_contest.safety.train`. Long texts are scored piece by piece
and the most harmful piece counts.

`classify(text)` gives the most likely harmful category and the probability that the text is harmful at
all (1 - P(benign)); the per-category thresholds chosen in training come with the model.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from aigc_contest.safety.normalize import basic, model_view

BUCKETS = 1 << 20
CHAR_ORDERS = (1, 2, 3, 4)
BENIGN = "benign"
MODEL_FILE = "text_classifier.npz"
# Pieces of a long text are scored on their own so that one harmful sentence is not diluted by a story.
PIECE_CHARS = 240
MIN_UNITS = 4
# Personal data is concrete (numbers, addresses, names, accounts): the classifier refuses it only when the
# text also names such a thing (these term sets), since its hunch otherwise leans on everyday words
# ("number", "home"); without one it flags the text for a teacher.
PERSONAL_DATA_CUES = frozenset({"contact", "address_intro", "address_word", "identity", "ask"})
# Self-harm is named instead of the likeliest harmful category when its probability is at least this share
# of that category's.
SELF_HARM_SHARE = 0.5
MIN_NORM = 1e-12  # (a floor that made short texts "look short" taught the model that short means rude)
NUMBER = "0"  # what a run of numbers standing alone becomes in the n-grams ("22 11 2024" -> "0")
_NUMBER_RUN = re.compile(r"(?<!\S)\d+(?: \d+)*(?!\S)")
_PIECE_BREAK = re.compile(r"(?<=[.!?。！？；;\n])")
_HAS_LATIN = re.compile(r"[a-z]")
_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")


def ngram_hashes(view: str) -> dict[int, int]:
    """Bucket -> count for one model-view string, benign phrases masked (rules.RuleMatcher.mask):
    character 1-4-grams, Latin word 1-2-grams, and the co-occurrence term sets present, alone and in pairs."""
    from aigc_contest.safety.rules import builtin_rule_matcher

    counts: dict[int, int] = {}
    matcher = builtin_rule_matcher()
    view = matcher.mask(view)
    # Numbers standing alone ("on9" stays a word) become one placeholder per run of them: dates and amounts
    # must not look like phone numbers (those are the personal-data patterns' job), and a text must not end
    # where its date was cut out ("we won on 22 11 2024" -> "we won on 0", not a bare "on" that "on9"
    # taught the model); ages still reach the model through the term sets below.
    padded = " " + _NUMBER_RUN.sub(NUMBER, view) + " "
    crc = zlib.crc32
    for order in CHAR_ORDERS:
        prefix = f"{order}|".encode()
        for start in range(len(padded) - order + 1):
            gram = padded[start : start + order]
            if gram.isspace():
                continue
            bucket = crc(prefix + gram.encode("utf-8")) & (BUCKETS - 1)
            counts[bucket] = counts.get(bucket, 0) + 1
    # Which co-occurrence term sets appear, alone and in pairs: "act_strong" + "person" whatever the words.
    groups = sorted(matcher.groups(view))
    for index, group in enumerate(groups):
        bucket = crc(b"s|" + group.encode()) & (BUCKETS - 1)
        counts[bucket] = counts.get(bucket, 0) + 2
        for other in groups[index + 1 :]:
            bucket = crc(f"p|{group}|{other}".encode()) & (BUCKETS - 1)
            counts[bucket] = counts.get(bucket, 0) + 2
    words = [word for word in padded.split() if _HAS_LATIN.search(word)]
    for index, word in enumerate(words):
        bucket = crc(b"w|" + word.encode("utf-8")) & (BUCKETS - 1)
        counts[bucket] = counts.get(bucket, 0) + 1
        if index + 1 < len(words):
            bucket = crc(b"b|" + f"{word} {words[index + 1]}".encode()) & (BUCKETS - 1)
            counts[bucket] = counts.get(bucket, 0) + 1
    return counts


def weighted_features(view: str) -> tuple[np.ndarray, np.ndarray]:
    """Sorted buckets and their weights: log(1 + count), scaled to unit length (see MIN_NORM)."""
    counts = ngram_hashes(view)
    if not counts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    buckets = np.fromiter(sorted(counts), dtype=np.int64, count=len(counts))
    values = np.log1p(np.array([counts[int(b)] for b in buckets], dtype=np.float64))
    values /= max(math.sqrt(float(np.sum(values * values))), MIN_NORM)
    return buckets, values


@dataclass
class TextClassifierModel:
    classes: tuple[str, ...]
    buckets: np.ndarray  # sorted int64 bucket ids that carry weights
    weights: np.ndarray  # (len(buckets), len(classes)) float32
    bias: np.ndarray  # (len(classes),) float32
    thresholds: dict[str, float]  # refuse at or above, per harmful category
    review_thresholds: dict[str, float]  # flag for review at or above
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def short_text_threshold(self) -> float:
        """Refuse a text of 2 to MIN_UNITS - 1 words at or above this score (above 1: never)."""
        return float(self.meta.get("config", {}).get("short_text_threshold", 1.01))

    @classmethod
    def load(cls, path: str | Path | None = None) -> TextClassifierModel:
        source = path or resources.files("aigc_contest.safety") / "models" / MODEL_FILE
        with source.open("rb") if not isinstance(source, str) else open(source, "rb") as handle:  # noqa: SIM115
            data = np.load(handle, allow_pickle=False)
            meta = json.loads(bytes(data["meta"]).decode("utf-8"))
            scale = data["scale"].astype(np.float32)
            weights = data["weights"].astype(np.float32) * scale[None, :]
            return cls(
                classes=tuple(meta["classes"]),
                buckets=data["buckets"].astype(np.int64),
                weights=weights,
                bias=data["bias"].astype(np.float32),
                thresholds={key: float(value) for key, value in meta["thresholds"].items()},
                review_thresholds={key: float(value) for key, value in meta["review_thresholds"].items()},
                meta=meta,
            )

    def probabilities(self, view: str) -> np.ndarray:
        buckets, values = weighted_features(view)
        logits = self.bias.astype(np.float64)
        if len(buckets):
            rows = np.searchsorted(self.buckets, buckets)
            rows = np.minimum(rows, len(self.buckets) - 1)
            known = self.buckets[rows] == buckets
            if known.any():
                logits = logits + values[known] @ self.weights[rows[known]].astype(np.float64)
        logits -= logits.max()
        exp = np.exp(logits)
        return exp / exp.sum()

    def score(self, view: str) -> tuple[str, float]:
        """(most likely harmful category, probability that the text is harmful)."""
        probabilities = self.probabilities(view)
        benign = self.classes.index(BENIGN)
        harm = [
            (float(p), name) for name, p in zip(self.classes, probabilities, strict=True) if name != BENIGN
        ]
        top, category = max(harm)
        # A child who may be at risk gets the supportive self-harm message (text.py's priority): self-harm
        # is named whenever it is close to the likeliest harm ("draw me asleep forever, never sad again").
        if (
            "self_harm" in self.classes
            and category != "self_harm"
            and float(probabilities[self.classes.index("self_harm")]) >= SELF_HARM_SHARE * top
        ):
            category = "self_harm"
        return category, 1.0 - float(probabilities[benign])


@dataclass(frozen=True)
class Classification:
    category: str
    score: float  # probability that the text is harmful at all
    refuse: bool
    review: bool


@lru_cache(maxsize=1)
def builtin_model() -> TextClassifierModel:
    return TextClassifierModel.load()


def pieces(text: str, limit: int = PIECE_CHARS) -> list[str]:
    """The model views of a `basic`-normalised text, in pieces of about `limit` characters cut at
    sentence ends (one piece when the text is short)."""
    if len(text) <= limit:
        return [model_view(text)]
    chunks: list[str] = []
    current = ""
    for sentence in _PIECE_BREAK.split(text):
        while len(sentence) > limit:
            cut = sentence.rfind(" ", limit // 2, limit)
            cut = cut if cut > 0 else limit
            chunks.append(current + sentence[:cut])
            current, sentence = "", sentence[cut:]
        if current and len(current) + len(sentence) > limit:
            chunks.append(current)
            current = ""
        current += sentence
    chunks.append(current)
    views = (model_view(chunk) for chunk in chunks)
    return [view for view in views if view]


def _names_personal_data(view: str) -> bool:
    from aigc_contest.safety.rules import builtin_rule_matcher

    matcher = builtin_rule_matcher()
    return bool(matcher.groups(matcher.mask(view)) & PERSONAL_DATA_CUES)


def units(view: str) -> int:
    """Words in a model view: a Latin word counts once, every Chinese character once, and a number standing
    alone not at all: the n-grams leave such numbers out, so "on 22 11 2024" is one word of evidence, not
    four (a date must not be enough to refuse on)."""
    return sum(len(_CJK_CHAR.findall(word)) or 1 for word in view.split() if not word.isdigit())


def classify(
    text: str,
    thresholds: dict[str, float] | None = None,
    model: TextClassifierModel | None = None,
) -> Classification:
    """Score a text; `thresholds` override the model's per-category refusal thresholds."""
    model = model or builtin_model()
    refuse_at = {**model.thresholds, **(thresholds or {})}
    best: Classification | None = None
    for piece in pieces(basic(text)) or [""]:
        category, score = model.score(piece)
        # A few words are too little evidence to refuse on (keywords and rules still judge them): a text
        # of fewer than MIN_UNITS words is refused only when the model is all but certain (the model's
        # short-text threshold: "除 衫 圖", "b o m b making"), otherwise flagged for review at most, and a
        # single word is not judged at all.
        size = units(piece)
        over = score >= refuse_at.get(category, 0.5)
        enough = size >= MIN_UNITS or (size > 1 and score >= model.short_text_threshold)
        refuse = over and enough and (category != "personal_data" or _names_personal_data(piece))
        review = size > 1 and not refuse and (over or score >= model.review_thresholds.get(category, 1.0))
        result = Classification(category, score, refuse, review)
        if best is None or (result.refuse, result.review, result.score) > (
            best.refuse,
            best.review,
            best.score,
        ):
            best = result
    assert best is not None
    return best
