"""ink source (inkle's scripting language) for a novel.

Each node is a knot ``=== id ===``; its text follows (special characters escaped with ``\\``); each choice
is ``* [Label]`` (``+`` when the node can be revisited, so the choice stays available), preceded by
``{condition}`` when it has one, followed by ``~ x = value`` updates and ``-> target``. Endings end with
``-> END``. Variables are declared with ``VAR`` (ink needs a value: a variable without one starts at
false, 0 or ""). Our condition language is a subset of ink's, so every valid condition carries over.
"""

from __future__ import annotations

import re

from aigc_contest.works.novel.conditions import (
    ConditionError,
    check_types,
    parse_condition,
    parse_set,
    render,
)
from aigc_contest.works.novel.engine import DEFAULTS
from aigc_contest.works.novel.model import Novel
from aigc_contest.works.novel.storyformat import literal

_SPECIAL = re.compile(r"[\\{}\[\]|#<>~]|//|/\*|->|<-")
_LINE_START = re.compile(r"^(\s*)([*+\-=~])", re.M)
_RESERVED = frozenset({"END", "DONE", "VAR", "CONST", "LIST", "INCLUDE", "temp", "return", "function", "else",
                       "not", "and", "or", "true", "false", "ref", "EXTERNAL"})  # fmt: skip


def escape_ink(text: str) -> str:
    text = _SPECIAL.sub(lambda m: "\\" + m.group()[0] + m.group()[1:], text)
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def knot_names(novel: Novel) -> dict[str, str]:
    """A valid, unique ink identifier for every node id."""
    used = {name.lower() for name in novel.variables} | {word.lower() for word in _RESERVED}
    names: dict[str, str] = {}
    for node in novel.nodes:
        base = re.sub(r"[^A-Za-z0-9_]", "_", node.id) or "node"
        if base[0].isdigit():
            base = "n_" + base
        name, k = base, 2
        while name.lower() in used:
            name, k = f"{base}_{k}", k + 1
        used.add(name.lower())
        names[node.id] = name
    return names


def write_ink(novel: Novel, notes: list[str] | None = None) -> str:
    names = knot_names(novel)
    types = {name: var.type for name, var in novel.variables.items()}
    cyclic = _revisitable(novel)
    out = [f"// {escape_ink(novel.title)}" if novel.title else "// untitled novel"]
    if novel.author:
        out.append(f"// by {escape_ink(novel.author)}")
    for name, var in novel.variables.items():
        value = var.initial if var.initial is not None else DEFAULTS[var.type]
        out.append(f"VAR {name} = {literal(value)}")
    out.append(f"-> {names.get(novel.start, 'END')}")
    for node in novel.nodes:
        out.append("")
        out.append(f"=== {names[node.id]} ===")
        if node.text:
            out.extend(escape_ink(node.text).split("\n"))
        bullet = "+" if node.id in cyclic else "*"
        for number, choice in enumerate(node.choices, start=1):
            condition = ""
            if choice.condition is not None:
                try:
                    tree = parse_condition(choice.condition)
                    check_types(tree, types)
                    condition = "{" + render(tree, name=lambda n: n, literal=literal, ops={}) + "} "
                except ConditionError as exc:
                    if notes is not None:
                        notes.append(f"{node.id}: choice {number} condition not written to ink ({exc})")
            out.append(f"{bullet} {condition}[{escape_ink(choice.label)}]")
            for set_name, value in choice.sets.items():
                try:
                    op = parse_set(set_name, value, types.get(set_name))
                except ConditionError as exc:
                    if notes is not None:
                        notes.append(f"{node.id}: choice {number} update not written to ink ({exc})")
                    continue
                if op.mode == "add":
                    out.append(
                        f"    ~ {set_name} = {set_name} {'+' if int(op.value) >= 0 else '-'} {abs(int(op.value))}"
                    )
                else:
                    out.append(f"    ~ {set_name} = {literal(op.value)}")
            target = names.get(choice.target)
            if target is None and notes is not None:
                notes.append(
                    f"{node.id}: choice {number} leads to missing node {choice.target!r}; ends the story in ink"
                )
            out.append(f"    -> {target or 'END'}")
        if node.ending is not None or not node.choices:
            out.append(f"// ending: {node.ending}" if node.ending else "// dead end")
            out.append("-> END")
    return "\n".join(out) + "\n"


def _revisitable(novel: Novel) -> set[str]:
    """Nodes on a cycle (their choices must stay available on a second visit)."""
    graph = {node.id: [c.target for c in node.choices] for node in novel.nodes}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result: set[str] = set()
    counter = 0
    for root in graph:  # iterative Tarjan
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            successors = [t for t in graph[node] if t in graph]
            if child < len(successors):
                work.append((node, child + 1))
                nxt = successors[child]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            for nxt in successors:
                if nxt in on_stack:
                    low[node] = min(low[node], low[nxt])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    result.update(component)
    return result
