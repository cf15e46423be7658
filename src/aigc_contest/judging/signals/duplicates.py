"""Near-duplicate works, for judges: pairs of pictures and texts, each with a one-sentence reason.

Advisory only: a pair is evidence for a person to look at; nothing here changes a score or a rank.

    works = Works.build(images={"e1": "e1.png", …}, texts={"e7": "Once upon a time…", …})
    past = Works.build(…)                                  # last year's entries, optional
    pairs = near_duplicates(works, past)                   # within this edition, and against past ones
    reference = Works.from_folder("public-set/")[0]        # a well-known public image set, if supplied
    hits = reference_matches(works, reference, "Public set")
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image

from aigc_contest.judging.signals.image_duplicates import (
    ImagePairs,
    ImageRule,
    image_cross_pairs,
    image_self_pairs,
)
from aigc_contest.judging.signals.image_hashes import IMAGE_SUFFIXES, ImageHashes, hash_images, open_image
from aigc_contest.judging.signals.text_duplicates import (
    THRESHOLD,
    TextIndex,
    TextPairs,
    text_cross_pairs,
    text_self_pairs,
)

TEXT_SUFFIXES = (".txt",)
Kind = Literal["image", "text"]
Picture = Image.Image | np.ndarray | str | Path


@dataclass(frozen=True)
class DuplicatePair:
    """Two works that look like copies of each other. ``similarity`` is 0–1 (1 = identical hashes or
    shingle sets); ``explanation`` is one sentence a judge can read."""

    a: str
    b: str
    kind: Kind
    similarity: float
    explanation: str
    advisory: bool = True

    def as_dict(self) -> dict[str, object]:
        return {
            "a": self.a,
            "b": self.b,
            "kind": self.kind,
            "similarity": round(self.similarity, 4),
            "explanation": self.explanation,
            "advisory": True,
        }


@dataclass
class Works:
    """Hashed pictures and indexed texts of one set of works (an edition, or a reference set)."""

    image_ids: list[str] = field(default_factory=list)
    images: ImageHashes = field(default_factory=ImageHashes.empty)
    text_ids: list[str] = field(default_factory=list)
    texts: TextIndex = field(default_factory=lambda: TextIndex.build([]))

    @classmethod
    def build(
        cls, images: Mapping[str, Picture] | None = None, texts: Mapping[str, str] | None = None
    ) -> Works:
        """Pictures: PIL images, uint8 arrays or file paths; texts: strings. Keys are work ids."""
        images = images or {}
        texts = texts or {}
        pictures = (open_image(p) if isinstance(p, str | Path) else p for p in images.values())
        return cls(list(images), hash_images(pictures), list(texts), TextIndex.build(list(texts.values())))

    @classmethod
    def from_folder(cls, folder: str | Path) -> tuple[Works, list[str]]:
        """Every .png/.jpg/.jpeg/.webp and UTF-8 .txt under ``folder`` (ids: paths relative to it), and one
        line per file that could not be read."""
        root = Path(folder)
        images: dict[str, Image.Image] = {}
        texts: dict[str, str] = {}
        problems: list[str] = []
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            name = path.relative_to(root).as_posix()
            suffix = path.suffix.lower()
            if suffix in IMAGE_SUFFIXES:
                try:
                    images[name] = open_image(path)
                except (OSError, ValueError, Image.DecompressionBombError) as exc:
                    problems.append(f"{name}: not a readable picture ({exc})")
            elif suffix in TEXT_SUFFIXES:
                try:
                    texts[name] = path.read_text(encoding="utf-8-sig")
                except UnicodeDecodeError:
                    problems.append(f"{name}: not UTF-8 text")
                except OSError as exc:
                    problems.append(f"{name}: cannot be read ({exc.strerror or exc})")
        return cls.build(images, texts), problems


def _sentence(prefix: str, explanation: str) -> str:
    return prefix + explanation[0].lower() + explanation[1:] if prefix else explanation


def _image_rows(
    pairs: ImagePairs, left: list[str], right: list[str], prefix: str = ""
) -> list[DuplicatePair]:
    similarity = pairs.similarity()
    return [
        DuplicatePair(
            left[int(pairs.a[k])],
            right[int(pairs.b[k])],
            "image",
            float(similarity[k]),
            _sentence(prefix, pairs.explanation(k)),
        )
        for k in range(len(pairs))
    ]


def _text_rows(pairs: TextPairs, left: list[str], right: list[str], prefix: str = "") -> list[DuplicatePair]:
    return [
        DuplicatePair(
            left[int(pairs.a[k])],
            right[int(pairs.b[k])],
            "text",
            float(pairs.similarity[k]),
            _sentence(prefix, pairs.explanation(k)),
        )
        for k in range(len(pairs))
    ]


def _ordered(rows: list[DuplicatePair]) -> list[DuplicatePair]:
    return sorted(rows, key=lambda r: (r.kind, -r.similarity, r.a, r.b))


def near_duplicates(
    works: Works,
    past: Works | None = None,
    *,
    image_rule: ImageRule | None = None,
    text_threshold: float = THRESHOLD,
) -> list[DuplicatePair]:
    """Near-duplicate pairs among ``works``, and between ``works`` (as ``a``) and ``past`` editions (``b``).
    Pairs among past works alone are not reported."""
    rows = _image_rows(image_self_pairs(works.images, image_rule), works.image_ids, works.image_ids)
    rows += _text_rows(text_self_pairs(works.texts, text_threshold), works.text_ids, works.text_ids)
    if past is not None:
        rows += _image_rows(
            image_cross_pairs(works.images, past.images, image_rule),
            works.image_ids,
            past.image_ids,
            "From a past edition: ",
        )
        rows += _text_rows(
            text_cross_pairs(works.texts, past.texts, text_threshold),
            works.text_ids,
            past.text_ids,
            "From a past edition: ",
        )
    return _ordered(rows)


def reference_matches(
    works: Works, reference: Works, name: str, *, image_rule: ImageRule | None = None
) -> list[DuplicatePair]:
    """Works (``a``) that match an item (``b``) of a well-known public set the organiser supplied."""
    prefix = f"Close to an item of the reference set “{name}”: "
    rows = _image_rows(
        image_cross_pairs(works.images, reference.images, image_rule),
        works.image_ids,
        reference.image_ids,
        prefix,
    )
    rows += _text_rows(
        text_cross_pairs(works.texts, reference.texts), works.text_ids, reference.text_ids, prefix
    )
    return _ordered(rows)
