"""Static checks on a novel's graph: one :class:`Defect` per problem, naming the node it is in.

Codes:

- ``missing-start``: the start node does not exist.
- ``missing-target``: a choice leads to a node id that does not exist.
- ``unreachable``: no chain of choices leads from the start to the node.
- ``dead-end``: a node that is not an ending has no choices.
- ``trap``: a node that is not an ending has choices, yet no ending can be reached from it.
- ``too-few-endings``: the novel has fewer than two ending nodes.
- ``read-before-set``: a condition (or a ``+N`` update) reads a variable that has no initial value and
  is not set on at least one path from the start to this node (a must-be-set dataflow over the graph;
  conditions are not evaluated, so every choice counts as a possible path).
- ``undeclared-variable``, ``condition-syntax``, ``condition-type``, ``bad-set``: broken conditions and
  updates.
- ``text-too-long``, ``label-too-long``, ``title-too-long``: length limits (:class:`Limits`).

Reachability and traps ignore conditions: they describe the graph, and random playthroughs
(:mod:`aigc_contest.works.novel.engine`) show what conditions do in play.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass

from aigc_contest.works.novel.conditions import variables_read
from aigc_contest.works.novel.engine import CompiledNovel, compile_novel
from aigc_contest.works.novel.model import Novel


@dataclass(frozen=True, slots=True)
class Defect:
    code: str
    node: str | None
    message: str

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)

    def __str__(self) -> str:
        where = f"[{self.node}] " if self.node is not None else ""
        return f"{self.code}: {where}{self.message}"


@dataclass(frozen=True, slots=True)
class Limits:
    max_text_chars: int = 4000
    max_label_chars: int = 200
    max_title_chars: int = 200
    min_endings: int = 2


def validate(novel: Novel | CompiledNovel, limits: Limits | None = None) -> list[Defect]:
    c = novel if isinstance(novel, CompiledNovel) else compile_novel(novel)
    limits = limits or Limits()
    story = c.novel
    defects: list[Defect] = []
    n = len(c.ids)
    successors: list[list[int]] = [[] for _ in range(n)]
    predecessors: list[list[int]] = [[] for _ in range(n)]

    if c.start < 0:
        defects.append(Defect("missing-start", None, f"the start node {story.start!r} does not exist"))

    for i, node in enumerate(story.nodes):
        if len(node.text) > limits.max_text_chars:
            defects.append(
                Defect(
                    "text-too-long",
                    node.id,
                    f"text has {len(node.text)} characters (limit {limits.max_text_chars})",
                )
            )
        if len(node.title) > limits.max_title_chars:
            defects.append(
                Defect(
                    "title-too-long",
                    node.id,
                    f"title has {len(node.title)} characters (limit {limits.max_title_chars})",
                )
            )
        for item in c.choices[i]:
            choice = node.choices[item.position]
            number = item.position + 1
            if len(choice.label) > limits.max_label_chars:
                defects.append(
                    Defect(
                        "label-too-long",
                        node.id,
                        f"choice {number} label has {len(choice.label)} characters (limit {limits.max_label_chars})",
                    )
                )
            if item.target < 0:
                defects.append(
                    Defect(
                        "missing-target",
                        node.id,
                        f"choice {number} ({choice.label!r}) leads to missing node {choice.target!r}",
                    )
                )
            else:
                successors[i].append(item.target)
                predecessors[item.target].append(i)
            if item.condition_error is not None:
                error = item.condition_error
                code = "condition-syntax"
                if "not declared" in error.message:
                    code = "undeclared-variable"
                elif item.condition_tree is None and _parses(choice.condition or ""):
                    code = "condition-type"
                defects.append(
                    Defect(code, node.id, f"choice {number} condition {choice.condition!r}: {error}")
                )
            for var, error in item.set_errors:
                code = "undeclared-variable" if var not in story.variables else "bad-set"
                defects.append(Defect(code, node.id, f"choice {number} sets {var!r}: {error.message}"))

    reachable = [False] * n
    if c.start >= 0:
        reachable[c.start] = True
        queue = deque([c.start])
        while queue:
            for nxt in successors[queue.popleft()]:
                if not reachable[nxt]:
                    reachable[nxt] = True
                    queue.append(nxt)

    reaches_end = list(c.endings)
    queue = deque(i for i in range(n) if c.endings[i])
    while queue:
        for prev in predecessors[queue.popleft()]:
            if not reaches_end[prev]:
                reaches_end[prev] = True
                queue.append(prev)

    for i, node_id in enumerate(c.ids):
        if c.start >= 0 and not reachable[i]:
            defects.append(Defect("unreachable", node_id, "no path of choices leads here from the start"))
        if c.endings[i]:
            continue
        if not story.nodes[i].choices:
            defects.append(Defect("dead-end", node_id, "not an ending, but has no choices"))
        elif not reaches_end[i]:
            defects.append(
                Defect("trap", node_id, "no ending can be reached from here (a loop with no way out)")
            )

    ending_count = sum(c.endings)
    if ending_count < limits.min_endings:
        defects.append(
            Defect(
                "too-few-endings",
                None,
                f"the novel has {ending_count} ending(s); it needs at least {limits.min_endings}",
            )
        )

    defects.extend(_read_before_set(c, reachable))
    return defects


def _parses(source: str) -> bool:
    from aigc_contest.works.novel.conditions import ConditionError, parse_condition

    try:
        parse_condition(source)
    except ConditionError:
        return False
    return True


def _read_before_set(c: CompiledNovel, reachable: list[bool]) -> list[Defect]:
    """Forward must-analysis: bit k of ``assigned[node]`` says variable k is set on every path to node."""
    story = c.novel
    unset = [name for name, var in story.variables.items() if var.initial is None]
    if not unset or c.start < 0:
        return []
    bit = {name: 1 << k for k, name in enumerate(c.variables)}
    everything = (1 << len(c.variables)) - 1
    initialised = sum(bit[name] for name, var in story.variables.items() if var.initial is not None)
    n = len(c.ids)
    assigned = [everything] * n  # "top" until a path reaches the node
    assigned[c.start] = initialised
    edges: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    for i in range(n):
        for item in c.choices[i]:
            if item.target >= 0:
                mask = 0
                for op in item.set_ops:
                    if op.mode == "set":
                        mask |= bit[op.var]
                    # an increment of an unset variable leaves it unset (and is reported as a read)
                edges[i].append((item.target, mask))
    queue = deque([c.start])
    queued = [False] * n
    queued[c.start] = True
    while queue:
        i = queue.popleft()
        queued[i] = False
        here = assigned[i]
        for target, mask in edges[i]:
            merged = assigned[target] & (here | mask)
            if merged != assigned[target]:
                assigned[target] = merged
                if not queued[target]:
                    queued[target] = True
                    queue.append(target)

    defects: list[Defect] = []
    watched = {name: bit[name] for name in unset}
    for i in range(n):
        if not reachable[i]:
            continue
        reported: set[str] = set()
        for item in c.choices[i]:
            reads = variables_read(item.condition_tree) if item.condition_tree is not None else set()
            reads |= {op.var for op in item.set_ops if op.mode == "add"}
            for name in sorted(reads):
                if name in watched and not assigned[i] & watched[name] and name not in reported:
                    reported.add(name)
                    defects.append(
                        Defect(
                            "read-before-set",
                            c.ids[i],
                            f"variable {name!r} has no initial value and may be read here before it is set",
                        )
                    )
    return defects
