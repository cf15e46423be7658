"""Property tests: the validator against brute-force references on random graphs."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aigc_contest.works.novel import Novel, validate

SETTINGS = settings(max_examples=120, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
VARS = ["p", "q", "r"]


@st.composite
def graphs(draw):
    """Random flat graphs: edges may point at missing nodes, choices read and set variables."""
    n = draw(st.integers(1, 8))
    ids = [f"n{i}" for i in range(n)]
    targets = st.sampled_from(ids + ["ghost"])
    nodes = []
    for node_id in ids:
        if draw(st.booleans()) and draw(st.booleans()):
            nodes.append({"id": node_id, "ending": "happy"})
            continue
        choices = []
        for k in range(draw(st.integers(0, 3))):
            choice = {"label": f"c{k}", "target": draw(targets)}
            read = draw(st.sampled_from([None, *VARS]))
            if read:
                choice["condition"] = f"{read} or true"
            written = draw(st.lists(st.sampled_from(VARS), max_size=2, unique=True))
            choice["sets"] = {v: True for v in written}
            choices.append(choice)
        nodes.append({"id": node_id, "choices": choices})
    initial = draw(st.lists(st.sampled_from(VARS), unique=True))
    variables = {v: {"type": "bool", **({"initial": False} if v in initial else {})} for v in VARS}
    return Novel.model_validate({"start": draw(st.sampled_from(ids)), "variables": variables, "nodes": nodes})


def reference(novel: Novel) -> set[tuple[str, str | None]]:
    """Independent, slow definitions of the graph defects (plain DFS per node)."""
    nodes = {n.id: n for n in novel.nodes}

    def reach(origin):
        seen, stack = {origin}, [origin]
        while stack:
            for choice in nodes[stack.pop()].choices:
                if choice.target in nodes and choice.target not in seen:
                    seen.add(choice.target)
                    stack.append(choice.target)
        return seen

    found = set()
    from_start = reach(novel.start)
    for node in novel.nodes:
        for choice in node.choices:
            if choice.target not in nodes:
                found.add(("missing-target", node.id))
        if node.id not in from_start:
            found.add(("unreachable", node.id))
        if node.ending is None and not node.choices:
            found.add(("dead-end", node.id))
        elif node.ending is None and not any(nodes[m].ending for m in reach(node.id)):
            found.add(("trap", node.id))
    if sum(1 for n in novel.nodes if n.ending) < 2:
        found.add(("too-few-endings", None))
    # read-before-set: explore every (node, variables set so far) state reachable from the start.
    start_state = (novel.start, frozenset(v for v, var in novel.variables.items() if var.initial is not None))
    seen_states, stack = {start_state}, [start_state]
    while stack:
        node_id, assigned = stack.pop()
        for choice in nodes[node_id].choices:
            if choice.condition:
                name = choice.condition.split()[0]
                if name not in assigned:
                    found.add(("read-before-set", node_id))
            if choice.target in nodes:
                state = (choice.target, assigned | frozenset(choice.sets))
                if state not in seen_states:
                    seen_states.add(state)
                    stack.append(state)
    return found


@SETTINGS
@given(graphs())
def test_validator_matches_brute_force(novel):
    got = {(d.code, d.node) for d in validate(novel)}
    assert got == reference(novel)
    # and one message per (code, node) for graph defects
    graph_codes = {"unreachable", "dead-end", "trap"}
    listed = [(d.code, d.node) for d in validate(novel) if d.code in graph_codes]
    assert len(listed) == len(set(listed))
