"""Advisory signals beside the works: near-duplicate pictures and texts, readability for the age band,
what an uploaded picture's metadata says, and relevance to the theme (where an embedding model is set).

Reads only. Every signal is evidence for a person: nothing here changes a score, a result or a rank, and
each signal explains itself in one sentence (the core's ``explanation``). The pure core is
:mod:`aigc_contest.judging.signals`; this module feeds it the submitted versions of a competition.

The works are the latest submitted version of each submitted entry (the version a round assigns). Pictures
are the version file when it is an image; texts are what a storybook or novel PDF or a playable novel page
says. Everything is computed on demand and kept in Django's cache by content: the text and the
readability of a version by its file's SHA-256, the pairs of a competition by the hashes of all its works,
so a new submission recomputes and an unchanged competition does not. For a large competition this would
be a background job (jobs app) filling the same cache keys; the demo and the tests stay well within a
request.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.utils.html import strip_tags

from aigc_contest.judging.signals import (
    DuplicatePair,
    Readability,
    Works,
    band_for_school_levels,
    near_duplicates,
    readability,
)
from aigc_contest.judging.signals.file_evidence import FileEvidence, file_evidence
from aigc_contest.judging.signals.relevance import Relevance, picture_relevance, text_relevance
from aigc_contest.web.contests.models import JUDGE_SIGNALS, Competition
from aigc_contest.web.entries.models import Entry, EntryVersion
from aigc_contest.web.judging.making import making_of

log = logging.getLogger(__name__)

DUPLICATES, READABILITY, FILE_EVIDENCE, RELEVANCE, MAKING = JUDGE_SIGNALS
IMAGE_MIMES = {"image/png", "image/jpeg", "image/webp"}
PDF_MIME = "application/pdf"
HTML_MIMES = {"text/html"}
TEXT_MIMES = {"text/plain"}
MAX_PDF_PAGES = 300  # a storybook or novel; longer files are read to here
MAX_TEXT_CHARS = 400_000
CACHE_SECONDS = 24 * 3600
CACHE_VERSION = 2  # bump when the core's measures change


def visible_signals(competition: Competition) -> set[str]:
    """The signals the organiser lets judges see (both, unless hidden)."""
    chosen = competition.judge_signals
    if not isinstance(chosen, list):
        return set(JUDGE_SIGNALS)
    return {s for s in chosen if s in JUDGE_SIGNALS}


# ---------------------------------------------------------------- reading the works


def _read(version: EntryVersion) -> bytes | None:
    try:
        with version.file.open("rb") as handle:
            return handle.read()
    except OSError:
        log.warning("signals: the file of version %s cannot be read", version.pk)
        return None


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        parts: list[str] = []
        for page in reader.pages[:MAX_PDF_PAGES]:
            parts.append(page.extract_text() or "")
            if sum(map(len, parts)) > MAX_TEXT_CHARS:
                break
    except (PyPdfError, ValueError, KeyError, TypeError, OSError):
        return ""
    return "\n".join(parts)


def _extract_text(version: EntryVersion) -> str:
    if version.mime not in {PDF_MIME, *HTML_MIMES, *TEXT_MIMES}:
        return ""
    data = _read(version)
    if data is None:
        return ""
    if version.mime == PDF_MIME:
        text = _pdf_text(data)
    else:
        decoded = data.decode("utf-8", errors="replace")
        text = strip_tags(decoded) if version.mime in HTML_MIMES else decoded
    return " ".join(text.split())[:MAX_TEXT_CHARS] if text.strip() else ""


def _content_key(version: EntryVersion) -> str:
    """What a version's signals depend on: its bytes (by hash), its type and where they are stored."""
    return hashlib.sha256(f"{version.file_sha256}:{version.mime}:{version.file.name}".encode()).hexdigest()


def version_text(version: EntryVersion) -> str:
    """The words of a text work (storybook or novel), cached by the file's hash; "" for pictures."""
    key = f"signals:text:{_content_key(version)}"
    text = cache.get(key, version=CACHE_VERSION)
    if text is None:
        text = _extract_text(version)
        cache.set(key, text, CACHE_SECONDS, version=CACHE_VERSION)
    return str(text)


def _picture(version: EntryVersion) -> Any:
    from PIL import Image, UnidentifiedImageError

    data = _read(version)
    if data is None:
        return None
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        return None
    return image


# ---------------------------------------------------------------- signals


@dataclass(frozen=True)
class Match:
    """One near-duplicate pair seen from one of its entries."""

    other: Entry
    other_version: EntryVersion
    kind: str
    similarity: float
    explanation: str
    past: bool = False  # the other entry belongs to an earlier edition

    @property
    def percent(self) -> int:
        return round(100 * self.similarity)


@dataclass(frozen=True)
class Pair:
    a: EntryVersion
    b: EntryVersion  # from an earlier edition where ``past``
    kind: str
    similarity: float
    explanation: str
    past: bool = False

    @property
    def percent(self) -> int:
        return round(100 * self.similarity)

    @property
    def is_image(self) -> bool:
        return self.kind == "image"


@dataclass
class EntrySignals:
    entry: Entry
    version: EntryVersion
    matches: list[Match] = field(default_factory=list)
    readability: Readability | None = None  # None: not a text, or no age band applies
    evidence: FileEvidence | None = None  # None: not a picture
    relevance: list[Relevance] = field(default_factory=list)  # empty: no embedder, or no theme

    @property
    def best_similarity(self) -> float:
        return max((m.similarity for m in self.matches), default=0.0)

    @property
    def best_percent(self) -> int:
        return round(100 * self.best_similarity)


@dataclass
class CompetitionSignals:
    rows: list[EntrySignals]
    pairs: list[Pair]

    def for_entry(self, entry_id: int) -> EntrySignals | None:
        return next((r for r in self.rows if r.entry.pk == entry_id), None)


def submitted_versions(competition: Competition) -> list[EntryVersion]:
    """The latest version of each submitted entry of the competition (what a round assigns)."""
    entries = (
        Entry.objects.filter(category__competition=competition, status=Entry.Status.SUBMITTED)
        .select_related("team", "category__competition")
        .prefetch_related("versions")
        .order_by("pk")
    )
    versions = []
    for entry in entries:
        latest = max(entry.versions.all(), key=lambda v: v.number, default=None)
        if latest is not None:
            latest.entry = entry  # the prefetched entry, with its team and category
            versions.append(latest)
    return versions


def readability_of(version: EntryVersion, school_levels: list[str]) -> Readability | None:
    """The version's readability against its category's age band; None for pictures, texts with no words,
    and categories without an age expectation. Cached by the file's hash and the band."""
    band = band_for_school_levels(school_levels)
    if band is None:
        return None
    text = version_text(version)
    if not text:
        return None
    key = f"signals:readability:{_content_key(version)}:{band}"
    result = cache.get(key, version=CACHE_VERSION)
    if result is None:
        result = readability(text, band)
        cache.set(key, result, CACHE_SECONDS, version=CACHE_VERSION)
    return result if isinstance(result, Readability) else None


PAST = "past-"  # work ids of earlier editions' versions: "past-<version pk>"


def _works(versions: list[EntryVersion], prefix: str = "") -> Works:
    images = {}
    texts = {}
    for version in versions:
        if version.mime in IMAGE_MIMES:
            picture = _picture(version)
            if picture is not None:
                images[f"{prefix}{version.pk}"] = picture
        else:
            text = version_text(version)
            if text:
                texts[f"{prefix}{version.pk}"] = text
    return Works.build(images=images, texts=texts)


def _pairs(versions: list[EntryVersion], past: list[EntryVersion] | None = None) -> list[DuplicatePair]:
    """Near-duplicate pairs among the versions (work ids: version pks) and with earlier editions' versions
    ("past-<pk>", always as ``b``), cached by the works' hashes."""
    past = past or []
    digest = hashlib.sha256(
        (
            ";".join(f"{v.pk}:{_content_key(v)}" for v in sorted(versions, key=lambda v: v.pk))
            + "|"
            + ";".join(f"{v.pk}:{_content_key(v)}" for v in sorted(past, key=lambda v: v.pk))
        ).encode()
    ).hexdigest()
    key = f"signals:pairs:{digest}"
    cached = cache.get(key, version=CACHE_VERSION)
    if isinstance(cached, list):
        return cached
    pairs = near_duplicates(_works(versions), _works(past, PAST) if past else None)
    cache.set(key, pairs, CACHE_SECONDS, version=CACHE_VERSION)
    return pairs


def past_versions(competition: Competition) -> list[EntryVersion]:
    """The submitted versions of the competition's earlier editions (what new entries are compared with)."""
    found: list[EntryVersion] = []
    for edition in competition.past_editions.all():
        found.extend(submitted_versions(edition))
    return found


def competition_signals(competition: Competition) -> CompetitionSignals:
    """Every signal for every submitted entry of the competition, whatever judges are allowed to see."""
    versions = submitted_versions(competition)
    by_pk = {v.pk: v for v in versions}
    rows = {
        v.pk: EntrySignals(
            v.entry, v, readability=readability_of(v, v.entry.category.school_levels), evidence=evidence_of(v)
        )
        for v in versions
    }
    for pk, found_relevance in relevance_by_version(versions).items():
        rows[pk].relevance = found_relevance
    past = past_versions(competition)
    past_by_pk = {v.pk: v for v in past}
    pairs = []
    for found in _pairs(versions, past):
        a = by_pk.get(int(found.a))
        if found.b.startswith(PAST):
            earlier = past_by_pk.get(int(found.b.removeprefix(PAST)))
            if a is None or earlier is None:
                continue
            pairs.append(Pair(a, earlier, found.kind, found.similarity, found.explanation, past=True))
            rows[a.pk].matches.append(
                Match(earlier.entry, earlier, found.kind, found.similarity, found.explanation, past=True)
            )
            continue
        b = by_pk.get(int(found.b))
        if a is None or b is None:
            continue
        pairs.append(Pair(a, b, found.kind, found.similarity, found.explanation))
        rows[a.pk].matches.append(Match(b.entry, b, found.kind, found.similarity, found.explanation))
        rows[b.pk].matches.append(Match(a.entry, a, found.kind, found.similarity, found.explanation))
    return CompetitionSignals(list(rows.values()), pairs)


@dataclass(frozen=True)
class JudgeSignals:
    """What a judge sees beside one work: never who made the other entry, nor any file name."""

    duplicates: list[str] | None  # one sentence per near-duplicate; None: hidden by the organiser
    readability: str | None  # one sentence; None: hidden, or not a text with an age band
    readability_flagged: bool = False
    file_evidence: list[str] | None = None  # sentences about an uploaded picture's metadata; None: hidden
    file_notice: bool = False  # one of them is worth a second look
    relevance: list[str] | None = None  # one sentence per medium; None: hidden or no embedder configured
    past_duplicates: list[str] = field(default_factory=list)  # near-copies of earlier editions' entries
    making: list[str] | None = None  # how it was made in the studio; None: hidden, or not made there

    @property
    def any(self) -> bool:
        return any(
            part is not None
            for part in (self.duplicates, self.readability, self.file_evidence, self.relevance, self.making)
        )


def judge_signals(competition: Competition, entry: Entry, version: EntryVersion) -> JudgeSignals:
    """The signals the organiser lets judges see, for the assigned version of one entry."""
    shown = visible_signals(competition)
    duplicates = None
    past_duplicates: list[str] = []
    if DUPLICATES in shown:
        row = competition_signals(competition).for_entry(entry.pk)
        duplicates = [m.explanation for m in row.matches if not m.past] if row is not None else []
        past_duplicates = [m.explanation for m in row.matches if m.past] if row is not None else []
    text = None
    flagged = False
    if READABILITY in shown:
        measured = readability_of(version, entry.category.school_levels)
        if measured is not None:
            text, flagged = measured.explanation, measured.flagged
    evidence_sentences, notice = None, False
    if FILE_EVIDENCE in shown:
        evidence = evidence_of(version)
        if evidence is not None and evidence.findings:
            evidence_sentences = [f.sentence for f in evidence.findings]
            notice = bool(evidence.notices)
    relevance_sentences = None
    if RELEVANCE in shown:
        peers = [v for v in submitted_versions(competition) if v.entry.category_id == entry.category_id]
        if all(v.pk != version.pk for v in peers):
            version.entry = entry
            peers.append(version)
        found = relevance_by_version(peers).get(version.pk)
        relevance_sentences = [r.sentence() for r in found] if found else None
    making = None
    if MAKING in shown:
        timeline = making_of(entry)
        making = timeline.sentences() if timeline is not None else None
    return JudgeSignals(
        duplicates, text, flagged, evidence_sentences, notice, relevance_sentences, past_duplicates, making
    )


def evidence_of(version: EntryVersion) -> FileEvidence | None:
    """What an uploaded picture's own metadata says; None for texts. Cached by the file's hash."""
    if version.mime not in IMAGE_MIMES:
        return None
    key = f"signals:evidence:{_content_key(version)}"
    result = cache.get(key, version=CACHE_VERSION)
    if result is None:
        data = _read(version)
        if data is None:
            return None
        result = file_evidence(data, ai_category=True)
        cache.set(key, result, CACHE_SECONDS, version=CACHE_VERSION)
    return result if isinstance(result, FileEvidence) else None


def _embedders() -> tuple[Any, Any]:
    """The text and picture embedders of the models file; (None, None) when none is configured."""
    from aigc_contest.generation.registry import RegistryError, shared_registry

    try:
        registry = shared_registry()
        return registry.embedder(), registry.embedder(images=True)
    except RegistryError as exc:
        log.warning("signals: no relevance, the models file cannot be read: %s", exc)
        return None, None


def theme_texts(entry: Entry) -> list[str]:
    """The entry's theme in every language it is written in (title and description)."""
    theme = entry.theme
    if theme is None:
        return []
    fields = ("title_en", "title_zh_hant", "title_zh_hans", "description_en", "description_zh_hant",
              "description_zh_hans")
    return [value for value in (getattr(theme, f) for f in fields) if value and value.strip()]


def relevance_by_version(versions: list[EntryVersion]) -> dict[int, list[Relevance]]:
    """Relevance to its theme of each version, placed among the versions of the same category and theme.
    Empty when no embedder is configured. Cached by the works' hashes, the theme and the models."""
    text_embedder, picture_embedder = _embedders()
    if text_embedder is None and picture_embedder is None:
        return {}
    groups: dict[tuple[int, int], list[EntryVersion]] = {}
    for version in versions:
        if version.entry.theme_id is not None:
            groups.setdefault((version.entry.category_id, version.entry.theme_id), []).append(version)
    found: dict[int, list[Relevance]] = {}
    for group in groups.values():
        theme = theme_texts(group[0].entry)
        if not theme:
            continue
        names = f"{getattr(text_embedder, 'name', '')}:{getattr(picture_embedder, 'name', '')}"
        digest = hashlib.sha256(
            (names + "|" + "|".join(theme) + "|" + ";".join(
                f"{v.pk}:{_content_key(v)}" for v in sorted(group, key=lambda v: v.pk)
            )).encode()
        ).hexdigest()
        key = f"signals:relevance:{digest}"
        cached = cache.get(key, version=CACHE_VERSION)
        if not isinstance(cached, dict):
            cached = _group_relevance(group, theme, text_embedder, picture_embedder)
            cache.set(key, cached, CACHE_SECONDS, version=CACHE_VERSION)
        for pk, results in cached.items():
            found.setdefault(pk, []).extend(results)
    return found


def _group_relevance(
    group: list[EntryVersion], theme: list[str], text_embedder: Any, picture_embedder: Any
) -> dict[int, list[Relevance]]:
    from aigc_contest.generation.types import GenerationError

    texts = {str(v.pk): version_text(v) for v in group if v.mime not in IMAGE_MIMES}
    pictures = {str(v.pk): [p] for v in group if v.mime in IMAGE_MIMES and (p := _picture(v)) is not None}
    results: dict[int, list[Relevance]] = {}
    try:
        found: dict[str, Relevance] = {}
        if text_embedder is not None and any(texts.values()):
            found.update(text_relevance(text_embedder, theme, texts))
        if picture_embedder is not None and pictures:
            found.update(picture_relevance(picture_embedder, theme, pictures))
    except (GenerationError, ValueError, RuntimeError) as exc:
        log.warning("signals: relevance could not be computed: %s", exc)
        return {}
    for key, relevance in found.items():
        results.setdefault(int(key), []).append(relevance)
    return results


SORTS = {
    "entry": lambda r: r.entry.pk,
    "duplicates": lambda r: (r.best_similarity, len(r.matches)),
    "readability": lambda r: (
        r.readability is not None,
        bool(r.readability and r.readability.flagged),
        r.readability.rare_share if r.readability else 0.0,
        r.readability.mean_sentence_length if r.readability else 0.0,
    ),
    "file_evidence": lambda r: (r.evidence is not None, bool(r.evidence and r.evidence.notices)),
    "relevance": lambda r: min((x.standing for x in r.relevance if x.standing is not None), default=2.0),
}
DEFAULT_SORT = "-duplicates"


def sorted_rows(rows: list[EntrySignals], sort: str) -> tuple[list[EntrySignals], str]:
    """Rows sorted by ``sort`` ("duplicates", "-readability", …; unknown: the default), ties by entry."""
    name = sort.removeprefix("-")
    if name not in SORTS:
        sort, name = DEFAULT_SORT, DEFAULT_SORT.removeprefix("-")
    ordered = sorted(rows, key=lambda r: r.entry.pk)
    ordered.sort(key=SORTS[name], reverse=sort.startswith("-"))
    return ordered, sort
