"""A novel compiled to integer indices and closures, and random playthroughs on it.

Playthroughs follow ChoiceScript's *randomtest*: each run starts at the start node with the declared
initial values, picks uniformly among the choices whose condition holds, applies the choice's ``sets``,
and stops at an ending, at a node where no choice is available ("stuck"), or at the step cap ("capped").
Run ``i`` uses its own random generator seeded from ``(seed, i)``, so any single run can be replayed.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aigc_contest.works.novel.conditions import (
    Compiled,
    ConditionError,
    Node,
    SetOp,
    Value,
    check_types,
    compile_condition,
    parse_condition,
    parse_set,
)
from aigc_contest.works.novel.model import Novel

DEFAULTS: dict[str, Value] = {"bool": False, "int": 0, "str": ""}


@dataclass(slots=True)
class CompiledChoice:
    source: int
    position: int  # index of the choice in its node
    target: int  # -1 when the target node does not exist
    condition: Compiled | None
    condition_tree: Node | None
    condition_error: ConditionError | None
    ops: tuple[tuple[int, bool, Value], ...]  # (variable slot, is increment, value)
    set_ops: list[SetOp]
    set_errors: list[tuple[str, ConditionError]]


@dataclass(slots=True)
class CompiledNovel:
    novel: Novel
    ids: list[str]
    index: dict[str, int]
    start: int  # -1 when missing
    endings: list[bool]
    choices: list[list[CompiledChoice]]
    variables: list[str]
    slots: dict[str, int]
    initial: list[Value]
    all_choices: list[CompiledChoice] = field(default_factory=list)


def compile_novel(novel: Novel) -> CompiledNovel:
    ids = [node.id for node in novel.nodes]
    index = {node_id: i for i, node_id in enumerate(ids)}
    variables = list(novel.variables)
    slots = {name: i for i, name in enumerate(variables)}
    types = {name: var.type for name, var in novel.variables.items()}
    initial = [
        var.initial if var.initial is not None else DEFAULTS[var.type] for var in novel.variables.values()
    ]
    parsed: dict[str, tuple[Node | None, Compiled | None, ConditionError | None]] = {}
    compiled = CompiledNovel(
        novel=novel,
        ids=ids,
        index=index,
        start=index.get(novel.start, -1),
        endings=[node.is_ending for node in novel.nodes],
        choices=[],
        variables=variables,
        slots=slots,
        initial=initial,
    )
    for source, node in enumerate(novel.nodes):
        row: list[CompiledChoice] = []
        for position, choice in enumerate(node.choices):
            tree = fn = error = None
            if choice.condition is not None:
                if choice.condition not in parsed:  # the same condition text compiles once
                    try:
                        t = parse_condition(choice.condition)
                        check_types(t, types)
                        parsed[choice.condition] = (t, compile_condition(t, slots), None)
                    except ConditionError as exc:
                        parsed[choice.condition] = (None, None, exc)
                tree, fn, error = parsed[choice.condition]
                if error is not None:
                    fn = _never  # a broken condition never lets a playthrough through
            set_ops: list[SetOp] = []
            set_errors: list[tuple[str, ConditionError]] = []
            for var, value in choice.sets.items():
                try:
                    set_ops.append(parse_set(var, value, types.get(var)))
                except ConditionError as exc:
                    set_errors.append((var, exc))
            ops = tuple((slots[op.var], op.mode == "add", op.value) for op in set_ops)
            item = CompiledChoice(
                source, position, index.get(choice.target, -1), fn, tree, error, ops, set_ops, set_errors
            )
            row.append(item)
            compiled.all_choices.append(item)
        compiled.choices.append(row)
    return compiled


def _never(state: list[Value]) -> bool:
    return False


@dataclass
class PlaythroughReport:
    runs: int
    seed: int
    max_steps: int
    node_visits: dict[str, int]
    choice_taken: dict[tuple[str, int], int]
    endings: dict[str, int]
    stuck: dict[str, int]  # node where no choice was available -> runs
    capped: int
    total_steps: int

    @property
    def nodes_visited(self) -> int:
        return sum(1 for count in self.node_visits.values() if count)

    @property
    def choices_taken(self) -> int:
        return sum(1 for count in self.choice_taken.values() if count)

    @property
    def unvisited_nodes(self) -> list[str]:
        return [node for node, count in self.node_visits.items() if not count]

    @property
    def untaken_choices(self) -> list[tuple[str, int]]:
        return [key for key, count in self.choice_taken.items() if not count]

    def to_dict(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "seed": self.seed,
            "max_steps": self.max_steps,
            "node_coverage": {"visited": self.nodes_visited, "total": len(self.node_visits)},
            "choice_coverage": {"taken": self.choices_taken, "total": len(self.choice_taken)},
            "unvisited_nodes": self.unvisited_nodes,
            "untaken_choices": [{"node": node, "choice": i} for node, i in self.untaken_choices],
            "endings": self.endings,
            "stuck": self.stuck,
            "capped": self.capped,
            "mean_steps": round(self.total_steps / self.runs, 2) if self.runs else 0,
        }


def playthroughs(
    novel: Novel | CompiledNovel, runs: int = 1000, seed: int = 0, max_steps: int = 1000
) -> PlaythroughReport:
    """Play ``runs`` random games and count what they visit."""
    c = novel if isinstance(novel, CompiledNovel) else compile_novel(novel)
    n = len(c.ids)
    visits = [0] * n
    ending_count = [0] * n
    stuck_count = [0] * n
    taken = [0] * len(c.all_choices)
    choice_slot = {id(item): k for k, item in enumerate(c.all_choices)}
    # Per node: the playable choices as flat tuples, and whether all are unconditional (fast path).
    table: list[tuple[tuple[Any, ...], bool]] = []
    for row in c.choices:
        row_playable = tuple(
            (item.target, item.condition, item.ops, choice_slot[id(item)]) for item in row if item.target >= 0
        )
        table.append((row_playable, all(entry[1] is None for entry in row_playable)))
    endings = c.endings
    capped = 0
    total_steps = 0
    initial = c.initial
    playable: tuple[Any, ...] | list[Any]
    if c.start >= 0:
        base = seed * 1_000_003
        for run in range(runs):
            rand = random.Random(base + run).random
            state = list(initial)
            node = c.start
            steps = 0
            while True:
                visits[node] += 1
                if endings[node]:
                    ending_count[node] += 1
                    break
                if steps >= max_steps:
                    capped += 1
                    break
                playable, unconditional = table[node]
                if not unconditional:
                    playable = [entry for entry in playable if entry[1] is None or entry[1](state)]
                if not playable:
                    stuck_count[node] += 1
                    break
                target, _, ops, slot = playable[int(rand() * len(playable))]
                taken[slot] += 1
                for var, is_add, value in ops:
                    if is_add:
                        state[var] += value
                    else:
                        state[var] = value
                node = target
                steps += 1
            total_steps += steps
    return PlaythroughReport(
        runs=runs if c.start >= 0 else 0,
        seed=seed,
        max_steps=max_steps,
        node_visits={c.ids[i]: visits[i] for i in range(n)},
        choice_taken={(c.ids[item.source], item.position): taken[k] for k, item in enumerate(c.all_choices)},
        endings={c.ids[i]: ending_count[i] for i in range(n) if endings[i]},
        stuck={c.ids[i]: stuck_count[i] for i in range(n) if stuck_count[i]},
        capped=capped,
        total_steps=total_steps,
    )


def ending_histogram(report: PlaythroughReport) -> Counter[str]:
    return Counter({node: count for node, count in report.endings.items() if count})
