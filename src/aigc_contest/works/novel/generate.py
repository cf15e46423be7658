"""An interactive novel written by a language model, in two phases: the graph first, then the prose.

1. **Skeleton**: the model answers with a :class:`Skeleton` (node ids, titles, one-line summaries,
   choices, endings) under a JSON schema whose every string, array and integer is bounded, so that even a
   random-weight model's constrained decoding terminates. The graph is checked with
   :func:`~aigc_contest.works.novel.validate.validate`; its defects go back to the model, which answers
   with a corrected skeleton. After ``repair_attempts`` answers that still have defects, the graph is
   repaired mechanically (:func:`repair_graph`): missing targets dropped, dead ends made endings,
   unreachable nodes linked in, traps given a way out, a second ending added.
2. **Prose**: one :class:`Passage` per node, asked for alone, so any node can be written again alone
   (:func:`regenerate_node`). Every passage goes through the safety layer; a refused passage is asked for
   again, and after ``safety_attempts`` refusals :class:`~aigc_contest.safety.SafetyRefusal` is raised.

The model is any :class:`~aigc_contest.generation.types.TextBackend`, so tests pass a scripted one.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from aigc_contest.generation.types import ChatMessage, TextBackend, TextRequest
from aigc_contest.works.novel.model import ENDING_TYPES, Choice, EndingType, Language, Node, Novel
from aigc_contest.works.novel.validate import Defect, validate

NodeId = Annotated[str, Field(min_length=1, max_length=24, pattern=r"^[a-z][a-z0-9_]{0,23}$")]
MIN_NODES = 3
MAX_NODES = 16
MAX_CHOICES = 3
MAX_PASSAGE_CHARS = 900
# Codes the mechanical repair fixes; the others (conditions, lengths) cannot occur in a skeleton.
GRAPH_CODES = {"missing-start", "missing-target", "unreachable", "dead-end", "trap", "too-few-endings"}
LANGUAGE_NAMES = {"en": "English", "zh-Hant": "Traditional Chinese", "zh-Hans": "Simplified Chinese"}

Progress = Callable[[int, int, str], None]  # (done, total, what is happening)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SkeletonChoice(_Strict):
    label: str = Field(min_length=1, max_length=48, description="what the reader clicks")
    target: NodeId = Field(description="id of the node this choice leads to")


class SkeletonNode(_Strict):
    id: NodeId
    title: str = Field(min_length=1, max_length=48)
    summary: str = Field(min_length=1, max_length=160, description="what happens here, one sentence")
    choices: list[SkeletonChoice] = Field(default_factory=list, max_length=MAX_CHOICES)
    ending: EndingType | None = Field(default=None, description="set only on ending nodes")


class Skeleton(_Strict):
    title: str = Field(min_length=1, max_length=60)
    start: NodeId
    nodes: list[SkeletonNode] = Field(min_length=2, max_length=MAX_NODES)


class Passage(_Strict):
    text: str = Field(min_length=1, max_length=MAX_PASSAGE_CHARS)


def skeleton_schema(max_nodes: int) -> type[Skeleton]:
    """The skeleton schema with at most ``max_nodes`` nodes (a tighter bound makes decoding shorter)."""
    max_nodes = max(2, min(MAX_NODES, max_nodes))
    return create_model(  # type: ignore[call-overload, no-any-return]
        f"Skeleton{max_nodes}",
        __base__=Skeleton,
        nodes=(list[SkeletonNode], Field(min_length=2, max_length=max_nodes)),
    )


@dataclass
class GenerationSettings:
    model: str
    theme: str
    language: Language = "en"
    nodes: int = 8
    seed: int | None = None
    temperature: float = 0.8
    repair_attempts: int = 2  # skeleton answers with defects fed back before the mechanical repair
    safety_attempts: int = 3  # answers per passage before a refusal is final
    skeleton_max_tokens: int = 4096
    passage_max_tokens: int = 900
    policy: Any = None  # a safety.SafetyPolicy (e.g. the school's); None: the platform default


@dataclass
class GenerationReport:
    novel: Novel
    skeleton_attempts: int = 0
    defects_fed_back: list[list[str]] = field(default_factory=list)
    mechanically_repaired: bool = False
    repairs: list[str] = field(default_factory=list)
    passages_regenerated: dict[str, int] = field(default_factory=dict)  # node id -> refused answers

    def to_dict(self) -> dict[str, object]:
        return {
            "nodes": len(self.novel.nodes),
            "endings": sum(1 for n in self.novel.nodes if n.is_ending),
            "skeleton_attempts": self.skeleton_attempts,
            "defects_fed_back": self.defects_fed_back,
            "mechanically_repaired": self.mechanically_repaired,
            "repairs": self.repairs,
            "passages_regenerated": self.passages_regenerated,
        }


# ---------------------------------------------------------------- prompts


def _system(settings: GenerationSettings) -> str:
    language = LANGUAGE_NAMES[settings.language]
    return (
        "You write interactive stories for children aged 6 to 18: kind, hopeful, no violence, no frightening "
        f"or grown-up content, no real people's private details. Write all story text in {language}."
    )


def _skeleton_prompt(settings: GenerationSettings) -> str:
    return (
        f"Plan an interactive story on the theme: {settings.theme}\n"
        f"Use about {settings.nodes} nodes in a flat graph. Each node has a short lowercase id (letters, digits, "
        "underscore), a title, a one-sentence summary, and 1 to 3 choices that lead to other nodes by id. "
        "Ending nodes have no choices and an ending type "
        f"({', '.join(ENDING_TYPES)}). Every node must be reachable from the start node, every non-ending node "
        "must lead towards an ending, and the story needs at least two different endings. Answer in JSON."
    )


def _defect_feedback(defects: list[Defect]) -> str:
    listed = "\n".join(f"- {d}" for d in defects[:20])
    return (
        "The story graph has these problems:\n"
        f"{listed}\n"
        "Answer again with the complete corrected story plan as JSON."
    )


def _passage_prompt(settings: GenerationSettings, novel: Novel, node: Node, summary: str) -> str:
    lines = [
        f"Story: {novel.title}",
        f"Theme: {settings.theme}",
        f"Write the passage for the scene “{node.title}”: {summary}",
    ]
    if node.choices:
        lines.append("The passage ends where the reader chooses between: " + "; ".join(c.label for c in node.choices))
    if node.ending:
        lines.append(f"This is an ending of the story ({node.ending} ending).")
    lines.append(f"At most {MAX_PASSAGE_CHARS} characters, 2 to 5 sentences, no choice list. Answer in JSON.")
    return "\n".join(lines)


def _request(settings: GenerationSettings, messages: list[ChatMessage], max_tokens: int, salt: int = 0) -> TextRequest:
    seed = None if settings.seed is None else settings.seed + salt
    return TextRequest(
        model=settings.model, messages=messages, max_tokens=max_tokens, temperature=settings.temperature, seed=seed
    )


# ---------------------------------------------------------------- skeleton → novel


def _clean_id(raw: str, used: set[str]) -> str:
    base = re.sub(r"[^a-z0-9_]", "_", raw.strip().lower())[:24] or "node"
    candidate, n = base, 2
    while candidate in used:
        suffix = f"_{n}"
        candidate, n = base[: 24 - len(suffix)] + suffix, n + 1
    used.add(candidate)
    return candidate


def skeleton_to_novel(skeleton: Skeleton, language: Language) -> tuple[Novel, dict[str, str]]:
    """The skeleton as a novel with empty texts, and each node's summary by id (for the prose prompts).

    A repeated id keeps its first node and renames the later ones, so the model's answer is never refused
    for a slip that a rename fixes."""
    used: set[str] = set()
    nodes: list[Node] = []
    summaries: dict[str, str] = {}
    for sk in skeleton.nodes:
        node_id = _clean_id(sk.id, used)
        choices = [Choice(label=c.label.strip() or c.target, target=c.target) for c in sk.choices]
        nodes.append(Node(id=node_id, title=sk.title.strip(), choices=choices, ending=sk.ending))
        summaries[node_id] = sk.summary.strip()
    novel = Novel(title=skeleton.title.strip(), language=language, start=skeleton.start, nodes=nodes)
    return novel, summaries


def graph_defects(novel: Novel) -> list[Defect]:
    return [d for d in validate(novel) if d.code in GRAPH_CODES]


def _reachable(novel: Novel) -> set[str]:
    ids = {n.id for n in novel.nodes}
    if novel.start not in ids:
        return set()
    by_id = {n.id: n for n in novel.nodes}
    seen = {novel.start}
    queue = deque([novel.start])
    while queue:
        for choice in by_id[queue.popleft()].choices:
            if choice.target in ids and choice.target not in seen:
                seen.add(choice.target)
                queue.append(choice.target)
    return seen


def _fresh_id(base: str, novel: Novel) -> str:
    return _clean_id(base, {n.id for n in novel.nodes})


def repair_graph(novel: Novel, summaries: dict[str, str] | None = None) -> tuple[Novel, list[str]]:
    """Fix the graph defects a skeleton can have, by rule; returns the novel and what was changed.

    The rules keep as much of the plan as possible: links are added rather than nodes removed."""
    story = novel.model_copy(deep=True)
    notes: list[str] = []
    summaries = summaries if summaries is not None else {}
    ids = {n.id for n in story.nodes}

    if story.start not in ids:
        notes.append(f"start {story.start!r} did not exist; the story starts at {story.nodes[0].id!r}")
        story.start = story.nodes[0].id
    start = story.node(story.start)
    if start.ending is not None:
        notes.append(f"the start node {start.id!r} was an ending; it now leads on")
        start.ending = None
    for node in story.nodes:
        kept = [c for c in node.choices if c.target in ids and c.target != node.id]
        if len(kept) != len(node.choices):
            notes.append(f"{node.id}: removed {len(node.choices) - len(kept)} choice(s) to missing nodes or itself")
            node.choices = kept
        if node.ending is not None and node.choices:
            node.choices = []  # an ending ends: its choices would never be offered
            notes.append(f"{node.id}: an ending's choices were removed")
        if node.ending is None and not node.choices and node.id != story.start:
            node.ending = "open"
            notes.append(f"{node.id}: a dead end became an ending")

    def host_for_link(avoid: str | None = None) -> Node:
        """A reachable node that is not an ending and has room for one more choice (else the start)."""
        reachable = _reachable(story)
        for candidate in story.nodes:
            if (candidate.id in reachable and candidate.ending is None and candidate.id != avoid
                    and len(candidate.choices) < MAX_CHOICES):  # fmt: skip
                return candidate
        return story.node(story.start)

    endings = [n for n in story.nodes if n.ending is not None]
    for kind in ("happy", "bittersweet"):
        if len(endings) >= 2:
            break
        new = Node(id=_fresh_id(f"ending_{kind}", story), title=kind.title(), ending=kind)  # type: ignore[arg-type]
        story.nodes.append(new)
        summaries[new.id] = f"a {kind} ending of the story"
        host = host_for_link()
        host.choices.append(Choice(label=new.title, target=new.id))
        endings.append(new)
        notes.append(f"added ending {new.id!r}, reached from {host.id!r}")

    for node in story.nodes:
        if node.id not in _reachable(story):
            host = host_for_link(avoid=node.id)
            host.choices.append(Choice(label=node.title or node.id, target=node.id))
            notes.append(f"{node.id}: was unreachable; now reached from {host.id!r}")

    for defect in validate(story):
        if defect.code in {"trap", "dead-end"} and defect.node is not None:
            node = story.node(defect.node)
            target = endings[0]
            node.choices.append(Choice(label=target.title or target.id, target=target.id))
            notes.append(f"{node.id}: had no way to an ending; now leads to {target.id!r}")
    return story, notes


# ---------------------------------------------------------------- the two phases


def plan_skeleton(
    backend: TextBackend, settings: GenerationSettings, report: GenerationReport | None = None
) -> tuple[Novel, dict[str, str]]:
    """Phase 1: a graph with no defects (the model's, corrected by the model, else repaired by rule)."""
    from aigc_contest.safety import SafetyRefusal, check_text

    report = report or GenerationReport(novel=Novel(start="x", nodes=[]))
    schema = skeleton_schema(settings.nodes + 2)
    messages = [
        ChatMessage(role="system", content=_system(settings)),
        ChatMessage(role="user", content=_skeleton_prompt(settings)),
    ]
    novel: Novel | None = None
    summaries: dict[str, str] = {}
    refused = None
    for attempt in range(max(1, settings.repair_attempts + 1)):
        skeleton = backend.complete_json(_request(settings, messages, settings.skeleton_max_tokens, attempt), schema)
        report.skeleton_attempts += 1
        verdict = check_text(skeleton.model_dump_json(), settings.policy)
        if not verdict.allowed:
            refused = verdict
            messages = [*messages, ChatMessage(role="assistant", content=skeleton.model_dump_json()),
                        ChatMessage(role="user", content="That plan is not suitable for children. "
                                    "Plan a different, kind story. Answer in JSON.")]  # fmt: skip
            continue
        refused = None
        novel, summaries = skeleton_to_novel(skeleton, settings.language)
        defects = graph_defects(novel)
        if not defects:
            return novel, summaries
        if attempt < settings.repair_attempts:
            report.defects_fed_back.append([str(d) for d in defects])
            messages = [*messages, ChatMessage(role="assistant", content=skeleton.model_dump_json()),
                        ChatMessage(role="user", content=_defect_feedback(defects))]  # fmt: skip
    if novel is None:
        raise SafetyRefusal(refused)  # type: ignore[arg-type]
    repaired, notes = repair_graph(novel, summaries)
    report.mechanically_repaired = True
    report.repairs = notes
    return repaired, summaries


def write_passage(
    backend: TextBackend,
    settings: GenerationSettings,
    novel: Novel,
    node_id: str,
    summary: str = "",
    report: GenerationReport | None = None,
) -> str:
    """Phase 2 for one node: a passage the safety layer allows, or SafetyRefusal after the last attempt."""
    from aigc_contest.safety import SafetyRefusal, check_text

    node = novel.node(node_id)
    messages = [
        ChatMessage(role="system", content=_system(settings)),
        ChatMessage(role="user", content=_passage_prompt(settings, novel, node, summary or node.title)),
    ]
    verdict = None
    for attempt in range(max(1, settings.safety_attempts)):
        salt = 1000 + 10 * novel.nodes.index(node) + attempt
        passage = backend.complete_json(_request(settings, messages, settings.passage_max_tokens, salt), Passage)
        text = passage.text.strip()
        verdict = check_text(text, settings.policy)
        if verdict.allowed and text:
            return text
        if report is not None:
            report.passages_regenerated[node_id] = report.passages_regenerated.get(node_id, 0) + 1
        # The refused words are not echoed back: the model is only told to write it differently.
        messages = [*messages, ChatMessage(role="user", content="That passage is not suitable for children. "
                                           "Write this scene again, kindly and safely. Answer in JSON.")]  # fmt: skip
    raise SafetyRefusal(verdict)  # type: ignore[arg-type]


def generate_novel(
    backend: TextBackend, settings: GenerationSettings, progress: Progress | None = None
) -> GenerationReport:
    """Both phases. Raises SafetyRefusal (theme or an unwritable passage) or GenerationError (the model)."""
    from aigc_contest.safety import ensure_text_safe

    ensure_text_safe(settings.theme, settings.policy)
    if not MIN_NODES <= settings.nodes <= MAX_NODES:
        raise ValueError(f"the number of nodes must be between {MIN_NODES} and {MAX_NODES}")
    report = GenerationReport(novel=Novel(start="x", nodes=[]))
    novel, summaries = plan_skeleton(backend, settings, report)
    total = len(novel.nodes) + 1
    if progress:
        progress(1, total, "plan")
    for done, node in enumerate(novel.nodes, start=2):
        node.text = write_passage(backend, settings, novel, node.id, summaries.get(node.id, ""), report)
        if progress:
            progress(done, total, node.id)
    report.novel = novel
    return report


def regenerate_node(backend: TextBackend, settings: GenerationSettings, novel: Novel, node_id: str) -> Novel:
    """A copy of ``novel`` with one node's passage written again (its title and choices kept)."""
    story = novel.model_copy(deep=True)
    node = story.node(node_id)
    node.text = write_passage(backend, settings, story, node_id, node.title)
    return story


def settings_for_document(
    model: str, theme: str, novel: Novel, seed: int | None = None, policy: Any = None
) -> GenerationSettings:
    return GenerationSettings(model=model, theme=theme or novel.title, language=novel.language, seed=seed,
                              policy=policy)  # fmt: skip


# ---------------------------------------------------------------- illustrations

MAX_SUMMARY_CHARS = 240
MAX_PICTURE_PROMPT_CHARS = 1000
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s*")


def summarize(text: str, limit: int = MAX_SUMMARY_CHARS) -> str:
    """The first sentences of a passage, whole sentences only where they fit in ``limit`` characters."""
    flat = " ".join(text.split())
    summary = ""
    for sentence in (s for s in _SENTENCE_END.split(flat) if s):
        if len(summary) + len(sentence) + 1 > limit:
            break
        gap = "" if summary.endswith(("。", "！", "？")) else " "  # Chinese sentences run on without spaces
        summary = f"{summary}{gap}{sentence}".strip()
    return summary or flat[:limit].rstrip()


def picture_style(style: str) -> str:
    """A named style (``crayon``, ``watercolor`` …) as its prompt words; any other text is used as it is."""
    from aigc_contest.works.storybook.prompts import DEFAULT_STYLE, STYLE_PRESETS

    style = " ".join(style.split())[:200]
    return STYLE_PRESETS.get(style, style) or DEFAULT_STYLE


def illustration_prompt(title: str, text: str, style: str = "") -> str:
    """The picture prompt for one part of a story: the style, then what happens (title + first sentences)."""
    scene = summarize(text)
    title = " ".join(title.split())
    what = f"{title}: {scene}" if title and scene else title or scene
    return f"{picture_style(style)}, {what}".strip(", ")[:MAX_PICTURE_PROMPT_CHARS]


__all__ = [
    "GenerationReport",
    "GenerationSettings",
    "Passage",
    "Skeleton",
    "SkeletonChoice",
    "SkeletonNode",
    "generate_novel",
    "graph_defects",
    "illustration_prompt",
    "plan_skeleton",
    "regenerate_node",
    "repair_graph",
    "skeleton_schema",
    "skeleton_to_novel",
    "summarize",
    "write_passage",
]
