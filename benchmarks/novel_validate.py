"""Validate a 500-node interactive novel and play it 10,000 times; prints the seconds taken.

Run: .venv/bin/python benchmarks/novel_validate.py [--nodes 500] [--runs 10000]
"""

from __future__ import annotations

import argparse
import random
import time

from aigc_contest.works.novel import Novel, compile_novel, playthroughs, validate


def build_novel(nodes: int = 500, seed: int = 7) -> Novel:
    """A layered story: 20 nodes a layer, 2-3 choices forward, some back edges, conditions and sets."""
    rng = random.Random(seed)
    width = 20
    layers = max(2, nodes // width)
    ids = [f"n{i}" for i in range(layers * width)]
    endings = ["happy", "sad", "neutral", "bittersweet", "funny"]
    data_nodes = []
    for i, node_id in enumerate(ids):
        layer = i // width
        node: dict = {"id": node_id, "title": f"Scene {i}", "text": f"Scene {i}. " * 20}
        if layer == layers - 1 or (layer > 3 and rng.random() < 0.03):
            node["ending"] = endings[i % len(endings)]
        else:
            nxt = range((layer + 1) * width, (layer + 2) * width)
            choices = []
            for k in range(rng.choice((2, 3))):
                # the first choice keeps its column, so every node can be reached
                column = nxt[i % width] if k == 0 else rng.choice(nxt)
                choice: dict = {"label": f"Option {k}", "target": ids[column]}
                roll = rng.random()
                if roll < 0.2:
                    choice["sets"] = {"courage": "+1"}
                elif roll < 0.3:
                    choice["sets"] = {"has_key": True, "name": "Mei"}
                if k > 0 and rng.random() < 0.3:
                    choice["condition"] = rng.choice(
                        [
                            "courage >= 2",
                            "has_key and courage > 0",
                            'not has_key or name == "Mei"',
                            "courage < 5",
                        ]
                    )
                choices.append(choice)
            if layer > 0 and rng.random() < 0.1:
                choices.append(
                    {"label": "Go back", "target": ids[rng.randrange((layer - 1) * width, layer * width)]}
                )
            node["choices"] = choices
        data_nodes.append(node)
    return Novel.model_validate(
        {
            "title": "Benchmark",
            "start": ids[0],
            "variables": {
                "courage": {"type": "int", "initial": 0},
                "has_key": {"type": "bool", "initial": False},
                "name": {"type": "str", "initial": ""},
            },
            "nodes": data_nodes,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=500)
    parser.add_argument("--runs", type=int, default=10_000)
    args = parser.parse_args()
    novel = build_novel(args.nodes)
    started = time.perf_counter()
    compiled = compile_novel(novel)
    defects = validate(compiled)
    validated = time.perf_counter()
    report = playthroughs(compiled, runs=args.runs, seed=1)
    finished = time.perf_counter()
    print(f"nodes: {len(novel.nodes)}, choices: {len(compiled.all_choices)}, defects: {len(defects)}")
    print(
        f"playthroughs: {report.runs}, mean steps {report.total_steps / report.runs:.1f}, "
        f"nodes visited {report.nodes_visited}/{len(novel.nodes)}, endings reached {sum(1 for v in report.endings.values() if v)}"
    )
    print(f"compile + validate: {validated - started:.3f} s")
    print(f"{args.runs} playthroughs: {finished - validated:.3f} s")
    print(f"total: {finished - started:.3f} s")


if __name__ == "__main__":
    main()
