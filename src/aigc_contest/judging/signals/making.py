"""How a work was made, from the studio's history (advisory, for the criterion "use of AI models").

The studio records every generation it ran for a work (what was asked, which model and LoRAs, for which
part) and the work keeps the AI's draft of each text beside the team's final text. From those two,
:func:`making_timeline` builds a compact account for a judge: the models and LoRAs used, how many
pictures and texts were generated, how the prompts evolved, which parts' text the team rewrote and by how
much (character edit distance against the AI's draft), and which pictures were kept out of how many
candidates.

Pure Python: the web layer turns its own records into :class:`Generation` and :class:`PartText`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

GenerationKind = Literal["text", "picture"]
# Rewritten at least this share of the AI's draft: "rewritten" rather than "touched up".
REWRITTEN = 0.5
_LONGEST = 4000  # characters compared per part; beyond it the tail is left out (the measure is a gauge)


@dataclass(frozen=True)
class Generation:
    kind: GenerationKind
    target: str  # the part it was for, in the child's words: "page 3", "the cover", "the picture"
    prompt: str = ""
    model: str | None = None
    loras: tuple[str, ...] = ()  # LoRA names (with their hash where known)
    at: datetime | None = None
    kept: bool = False  # a picture that is in the submitted work


@dataclass(frozen=True)
class PartText:
    target: str
    ai_draft: str  # what the model wrote ("" where the team wrote it all)
    final: str  # what was submitted


@dataclass(frozen=True)
class PromptStep:
    target: str
    prompt: str
    change: float  # share changed from the previous prompt for the same part (0 for the first)


@dataclass(frozen=True)
class Rewrite:
    target: str
    changed: float  # 0 = kept the AI's words, 1 = wrote it all anew
    by_team: bool  # there was no AI draft: the team wrote the text itself


@dataclass
class MakingTimeline:
    models: Counter[str] = field(default_factory=Counter)
    loras: Counter[str] = field(default_factory=Counter)
    pictures_generated: int = 0
    texts_generated: int = 0
    pictures_kept: dict[str, tuple[int, int]] = field(default_factory=dict)  # part: (kept, candidates)
    prompt_steps: list[PromptStep] = field(default_factory=list)
    rewrites: list[Rewrite] = field(default_factory=list)
    first_at: datetime | None = None
    last_at: datetime | None = None

    @property
    def rewritten_parts(self) -> list[Rewrite]:
        return [r for r in self.rewrites if r.by_team or r.changed >= REWRITTEN]

    @property
    def mean_change(self) -> float | None:
        drafted = [r.changed for r in self.rewrites if not r.by_team]
        return sum(drafted) / len(drafted) if drafted else None

    def sentences(self) -> list[str]:
        """The account, one plain sentence per line, most telling first."""
        lines: list[str] = []
        if not self.pictures_generated and not self.texts_generated:
            return ["The studio holds no generation history for this work (it may have been uploaded)."]
        made = []
        if self.texts_generated:
            made.append(f"{self.texts_generated} text{'s' if self.texts_generated != 1 else ''}")
        if self.pictures_generated:
            made.append(f"{self.pictures_generated} picture{'s' if self.pictures_generated != 1 else ''}")
        models = ", ".join(name for name, _ in self.models.most_common())
        lines.append(f"Generated {' and '.join(made)} with {models or 'an unnamed model'}.")
        if self.loras:
            lines.append(f"Used the fine-tuned LoRA {', '.join(n for n, _ in self.loras.most_common())}.")
        if self.pictures_kept:
            kept = sum(k for k, _ in self.pictures_kept.values())
            candidates = sum(c for _, c in self.pictures_kept.values())
            lines.append(
                f"Kept {kept} of {candidates} candidate pictures across {len(self.pictures_kept)} parts."
            )
        if self.rewrites:
            rewritten = self.rewritten_parts
            mean = self.mean_change
            sentence = f"Rewrote {len(rewritten)} of {len(self.rewrites)} texts"
            if mean is not None:
                sentence += f"; on average {round(mean * 100)} % of the AI's words were changed"
            lines.append(sentence + ".")
        revised = [s for s in self.prompt_steps if s.change > 0]
        if revised:
            parts = len({s.target for s in revised})
            lines.append(
                f"Revised prompts {len(revised)} times over {parts} part{'s' if parts != 1 else ''}."
            )
        return lines


def change_share(before: str, after: str) -> float:
    """Character edit distance from ``before`` to ``after`` over the longer length (0 same, 1 all new)."""
    before, after = before.strip()[:_LONGEST], after.strip()[:_LONGEST]
    longest = max(len(before), len(after))
    if longest == 0:
        return 0.0
    return edit_distance(before, after) / longest


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions), two rows of memory."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def making_timeline(generations: Iterable[Generation], texts: Sequence[PartText] = ()) -> MakingTimeline:
    ordered = sorted(generations, key=lambda g: (g.at is None, g.at or datetime.min))
    timeline = MakingTimeline()
    last_prompt: dict[str, str] = {}
    candidates: Counter[str] = Counter()
    kept: Counter[str] = Counter()
    for generation in ordered:
        if generation.model:
            timeline.models[generation.model] += 1
        for lora in generation.loras:
            timeline.loras[lora] += 1
        if generation.kind == "picture":
            timeline.pictures_generated += 1
            candidates[generation.target] += 1
            kept[generation.target] += int(generation.kept)
        else:
            timeline.texts_generated += 1
        if generation.at is not None:
            timeline.first_at = timeline.first_at or generation.at
            timeline.last_at = generation.at
        prompt = generation.prompt.strip()
        if prompt:
            key = f"{generation.kind}:{generation.target}"
            previous = last_prompt.get(key)
            if previous != prompt:
                change = 0.0 if previous is None else change_share(previous, prompt)
                timeline.prompt_steps.append(PromptStep(generation.target, prompt, round(change, 3)))
                last_prompt[key] = prompt
    timeline.pictures_kept = {t: (kept[t], n) for t, n in candidates.items() if kept[t]}
    for part in texts:
        if not part.ai_draft.strip():
            if part.final.strip():
                timeline.rewrites.append(Rewrite(part.target, 1.0, by_team=True))
            continue
        timeline.rewrites.append(
            Rewrite(part.target, round(change_share(part.ai_draft, part.final), 3), False)
        )
    return timeline
