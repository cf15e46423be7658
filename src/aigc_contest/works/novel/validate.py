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
- ``condition-never-true``: a choice whose condition is false in every state a playthrough can be in at
  its node (values from the initial ones and every update on the way, see ``reachable_values``): e.g.
  ``courage >= 1`` where nothing ever raises ``courage`` from 0. The choice can never be taken.
- ``undeclared-variable``, ``condition-syntax``, ``condition-type``, ``bad-set``: broken conditions and
  updates.
- ``text-too-long``, ``label-too-long``, ``title-too-long``: length limits (:class:`Limits`).

Reachability and traps (and ``read-before-set``) ignore conditions: they describe the graph, and random playthroughs
(:mod:`aigc_contest.works.novel.engine`) show what conditions do in play.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

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

    read_early = _read_before_set(c, reachable)
    defects.extend(read_early)
    # A condition on a variable that may be read before it is set has that one defect: the missing starting
    # value is the thing to fix, and "never true" would only repeat it from the default value.
    early_nodes = {d.node for d in read_early}
    defects.extend(d for d in _never_true(c) if d.node not in early_nodes)
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


# --- conditions that can never be true --------------------------------------------------------------
# Abstract interpretation over the graph, following the playthrough engine's rules (start with the declared
# initial values, or the type's default; stop at endings; a choice is open when its condition holds; then
# its updates apply). Each variable's possible values at each node are over-approximated: true/false and
# strings as finite sets (every value is a literal of the story), numbers as intervals (widened to
# infinity when a loop keeps changing them). A condition is reported only when it is false for every value
# combination the approximation allows, so a report is never wrong; a condition may escape when it is only
# false because of how variables relate to one another.

_INF = float("inf")
_WIDEN_AFTER = 4  # updates of a node before its changing intervals are widened (so loops terminate)
_MAX_PAIRS = 4096  # finite comparisons enumerated at most; beyond that the answer is "either"
_MAX_COMBINATIONS = 256  # value combinations of a condition's true/false and string variables tried
_BOTH = frozenset({True, False})

# An abstract value: ("b", frozenset[bool]) | ("i", lo, hi) | ("s", frozenset[str])
AbstractValue = tuple[Any, ...]


def _abstract(value: Any) -> AbstractValue:
    if isinstance(value, bool):
        return ("b", frozenset({value}))
    if isinstance(value, int):
        return ("i", value, value)
    return ("s", frozenset({value}))


def _join(a: AbstractValue, b: AbstractValue) -> AbstractValue:
    if a[0] == "i":
        return ("i", min(a[1], b[1]), max(a[2], b[2]))
    return (a[0], a[1] | b[1])


def _widen(old: AbstractValue, new: AbstractValue) -> AbstractValue:
    if old[0] != "i":
        return new
    return ("i", -_INF if new[1] < old[1] else old[1], _INF if new[2] > old[2] else old[2])


def _truth(value: AbstractValue) -> frozenset[bool]:
    if value[0] == "b":
        return frozenset(value[1])
    if value[0] == "i":
        lo, hi = value[1], value[2]
        if lo == hi == 0:
            return frozenset({False})
        return frozenset({True}) if lo > 0 or hi < 0 else _BOTH
    return frozenset(bool(v) for v in value[1])


def _compare_intervals(op: str, a: AbstractValue, b: AbstractValue) -> frozenset[bool]:
    (_, lo1, hi1), (_, lo2, hi2) = a, b
    if op in (">", ">="):
        (lo1, hi1), (lo2, hi2) = (lo2, hi2), (lo1, hi1)
        op = "<" if op == ">" else "<="
    if op == "<":
        can_true, can_false = lo1 < hi2, hi1 >= lo2
    elif op == "<=":
        can_true, can_false = lo1 <= hi2, hi1 > lo2
    else:
        overlap = lo1 <= hi2 and lo2 <= hi1
        single_equal = lo1 == hi1 == lo2 == hi2
        can_true, can_false = (overlap, not single_equal) if op == "==" else (not single_equal, overlap)
    return frozenset(v for v, possible in ((True, can_true), (False, can_false)) if possible)


def _evaluate(tree: Any, state: dict[str, AbstractValue]) -> AbstractValue:
    """The abstract value of a (type-checked) condition tree in an abstract state."""
    import operator

    kind = tree[0]
    if kind == "lit":
        return _abstract(tree[1])
    if kind == "var":
        return state[tree[1]]
    if kind == "not":
        return ("b", frozenset(not v for v in _truth(_evaluate(tree[1], state))))
    if kind in ("and", "or"):
        first, second = _truth(_evaluate(tree[1], state)), _truth(_evaluate(tree[2], state))
        if kind == "and":
            return ("b", frozenset(x and y for x in first for y in second))
        return ("b", frozenset(x or y for x in first for y in second))
    if kind == "neg":
        inner = _evaluate(tree[1], state)
        return ("i", -inner[2], -inner[1])
    left, right = _evaluate(tree[2], state), _evaluate(tree[3], state)
    if kind == "arith":
        if tree[1] == "+":
            return ("i", left[1] + right[1], left[2] + right[2])
        return ("i", left[1] - right[2], left[2] - right[1])
    if left[0] == "i":
        return ("b", _compare_intervals(tree[1], left, right))
    if len(left[1]) * len(right[1]) > _MAX_PAIRS:
        return ("b", _BOTH)
    compare = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
               ">=": operator.ge}[tree[1]]  # fmt: skip
    return ("b", frozenset(bool(compare(x, y)) for x in left[1] for y in right[1]))


def _can_hold(tree: Any, state: dict[str, AbstractValue]) -> bool:
    """Whether the condition can be true in some state the abstract state allows. True/false and string
    variables it reads are tried value by value (up to _MAX_COMBINATIONS), so `p and not p` is seen false."""
    import itertools

    finite = [
        name for name in sorted(variables_read(tree)) if state[name][0] != "i" and len(state[name][1]) > 1
    ]
    combinations = 1
    for name in finite:
        combinations *= len(state[name][1])
    if not finite or combinations > _MAX_COMBINATIONS:
        return True in _truth(_evaluate(tree, state))
    choices = [[(name, (state[name][0], frozenset({v}))) for v in state[name][1]] for name in finite]
    return any(
        True in _truth(_evaluate(tree, {**state, **dict(combo)})) for combo in itertools.product(*choices)
    )


def _refine(tree: Any, state: dict[str, AbstractValue]) -> dict[str, AbstractValue]:
    """The state narrowed to where the condition can hold (sound: a value goes only if it makes the
    condition certainly false)."""
    refined = dict(state)
    for name in variables_read(tree):
        value = refined[name]
        if value[0] in ("b", "s"):
            if len(value[1]) > 1:
                kept = frozenset(
                    v for v in value[1] if _can_hold(tree, {**refined, name: (value[0], frozenset({v}))})
                )
                refined[name] = (value[0], kept or value[1])
        else:
            refined[name] = _narrow_interval(tree, name, value)
    return refined


def _narrow_interval(tree: Any, name: str, value: AbstractValue) -> AbstractValue:
    """Narrow a number's interval by the comparisons of ``name`` with a constant that the condition's
    top-level ``and`` requires."""
    lo, hi = value[1], value[2]
    stack = [tree]
    while stack:
        node = stack.pop()
        if node[0] == "and":
            stack.extend(node[1:])
            continue
        if node[0] != "cmp":
            continue
        op, a, b = node[1], node[2], node[3]
        if b[0] == "var" and b[1] == name and a[0] == "lit":
            op, a, b = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}[op], b, a
        if not (a[0] == "var" and a[1] == name and b[0] == "lit" and isinstance(b[1], int)):
            continue
        constant = b[1]
        if op == ">":
            lo = max(lo, constant + 1)
        elif op == ">=":
            lo = max(lo, constant)
        elif op == "<":
            hi = min(hi, constant - 1)
        elif op == "<=":
            hi = min(hi, constant)
        elif op == "==":
            lo, hi = max(lo, constant), min(hi, constant)
    if lo > hi:
        return value  # cannot happen when the condition can hold; keep the sound original
    return ("i", lo, hi)


def _describe(name: str, value: AbstractValue) -> str:
    if value[0] == "i":
        lo, hi = value[1], value[2]
        if lo == hi:
            return f"{name!r} is always {int(lo)}"
        if lo == -_INF and hi == _INF:
            return f"{name!r} can be any number"
        if lo == -_INF:
            return f"{name!r} is at most {int(hi)}"
        if hi == _INF:
            return f"{name!r} is at least {int(lo)}"
        return f"{name!r} is between {int(lo)} and {int(hi)}"
    shown = sorted(value[1], key=repr)
    literal = [("true" if v else "false") if isinstance(v, bool) else repr(v) for v in shown]
    if len(literal) == 1:
        return f"{name!r} is always {literal[0]}"
    return f"{name!r} is one of {', '.join(literal[:6])}{'…' if len(literal) > 6 else ''}"


# Assignments written in story-format source the model keeps verbatim (an imported passage's macros, a
# PassageDone passage...): Harlowe `(set: $x to …)`, `(put: … into $x)`, SugarCube `<<set $x = …>>`.
_ASSIGNED_IN_SOURCE = re.compile(
    r"\$([A-Za-z_]\w*)\s*(?:to\b|=(?!=)|\+=|-=|\*=|/=|%=|\+\+|--)|\binto\s+\$([A-Za-z_]\w*)|<<unset\s+\$([A-Za-z_]\w*)"
)
_SCRIPT_TOUCHES_STATE = re.compile(r"\bState\b|\bvariables\b|\bsetVariable\b|\bHarlowe\b|\bSugarCube\b")


def untracked_variables(novel: Novel) -> set[str]:
    """Variables the story may change outside the model's choices: assigned in a passage kept as written
    or in a special passage run on every turn; all of them when a story script may touch the state.
    Nothing is concluded about their values."""
    found: set[str] = set()
    texts = [node.raw for node in novel.nodes if node.raw]
    extras = novel.twee_extras
    for passage in extras.special_passages if extras else []:
        text, tags = str(passage.get("text", "")), set(passage.get("tags", []))
        if passage.get("name") == "Story JavaScript" or "script" in tags:
            if _SCRIPT_TOUCHES_STATE.search(text):
                return set(novel.variables)
        elif passage.get("name") not in ("StoryInit",) and "startup" not in tags:
            texts.append(text)  # PassageReady/Done, headers, footers, widgets: they run again and again
    for text in texts:
        for match in _ASSIGNED_IN_SOURCE.finditer(text):
            found.add(next(group for group in match.groups() if group))
    return found & set(novel.variables)


def reachable_values(c: CompiledNovel) -> list[dict[str, AbstractValue] | None]:
    """For each node, the possible values of every variable when a playthrough is there (None: never).
    Conditions reading an untracked variable (see `untracked_variables`) are taken to be open."""
    story = c.novel
    untracked = untracked_variables(story)
    n = len(c.ids)
    states: list[dict[str, AbstractValue] | None] = [None] * n
    if c.start < 0:
        return states
    states[c.start] = {name: _abstract(value) for name, value in zip(c.variables, c.initial, strict=True)}
    updates = [0] * n
    queue = deque([c.start])
    queued = [False] * n
    queued[c.start] = True
    while queue:
        i = queue.popleft()
        queued[i] = False
        here = states[i]
        if here is None or c.endings[i]:
            continue  # a playthrough stops at an ending
        for item in c.choices[i]:
            if (
                item.target < 0
                or story.nodes[i].choices[item.position].condition is not None
                and item.condition_tree is None
            ):
                continue  # a missing target, or a broken condition (never open)
            state = here
            if item.condition_tree is not None and not variables_read(item.condition_tree) & untracked:
                if not _can_hold(item.condition_tree, state):
                    continue
                state = _refine(item.condition_tree, state)
            state = dict(state)
            for op in item.set_ops:
                if op.mode == "add":
                    old = state[op.var]
                    state[op.var] = ("i", old[1] + int(op.value), old[2] + int(op.value))
                else:
                    state[op.var] = _abstract(op.value)
            target = item.target
            previous = states[target]
            if previous is None:
                merged = state
            else:
                merged = {name: _join(previous[name], state[name]) for name in previous}
                if updates[target] >= _WIDEN_AFTER:
                    merged = {name: _widen(previous[name], merged[name]) for name in merged}
            if merged != previous:
                states[target] = merged
                updates[target] += 1
                if not queued[target]:
                    queued[target] = True
                    queue.append(target)
    return states


def _never_true(c: CompiledNovel) -> list[Defect]:
    defects: list[Defect] = []
    untracked = untracked_variables(c.novel)
    for i, state in enumerate(reachable_values(c)):
        if state is None or c.endings[i]:
            continue
        for item in c.choices[i]:
            tree = item.condition_tree
            if tree is None or variables_read(tree) & untracked or _can_hold(tree, state):
                continue
            choice = c.novel.nodes[i].choices[item.position]
            why = "; ".join(_describe(name, state[name]) for name in sorted(variables_read(tree)))
            defects.append(
                Defect(
                    "condition-never-true",
                    c.ids[i],
                    f"choice {item.position + 1} ({choice.label!r}) can never be taken: its condition "
                    f"{choice.condition!r} is false on every way of getting here"
                    + (f" ({why})" if why else ""),
                )
            )
    return defects
