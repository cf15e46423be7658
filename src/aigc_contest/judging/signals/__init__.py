"""Advisory judging signals (pure Python, no Django): near-duplicate works and readability.

Every signal is evidence for a person: it never changes a score or a rank, and it explains itself in one
sentence (``explanation``).

    works = Works.build(images={...}, texts={...})
    near_duplicates(works, past_works)           # pictures: pHash/dHash; texts: MinHash LSH
    reference_matches(works, reference, "name")  # against a public set the organiser supplies
    readability(text, "9-11")                    # measures against an age band, flags "far above"
"""

from aigc_contest.judging.signals.duplicates import DuplicatePair, Works, near_duplicates, reference_matches
from aigc_contest.judging.signals.image_duplicates import ImageRule
from aigc_contest.judging.signals.image_hashes import ImageHashes, hash_images
from aigc_contest.judging.signals.readability import (
    AGE_BANDS,
    AgeBand,
    Readability,
    band_for_school_levels,
    readability,
)
from aigc_contest.judging.signals.text_duplicates import TextIndex

__all__ = [
    "AGE_BANDS",
    "AgeBand",
    "DuplicatePair",
    "ImageHashes",
    "ImageRule",
    "Readability",
    "TextIndex",
    "Works",
    "band_for_school_levels",
    "hash_images",
    "near_duplicates",
    "readability",
    "reference_matches",
]
