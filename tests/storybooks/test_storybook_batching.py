"""A class's storybook writing steps share batches: the same answers as one job at a time, one job key."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.ml, pytest.mark.django_db]


def _params(seed: int) -> dict[str, Any]:
    from aigc_contest.works.storybook.pipeline import BookBrief, StoryPlan

    brief = BookBrief(
        theme=f"a kite festival {seed}", language="en", pages=2, text_model="text-tiny", seed=seed
    )
    return {"step": "outline", "plan": StoryPlan(brief=brief).model_dump(mode="json")}


def test_outline_steps_of_several_books_run_batched_with_the_same_answers(tiny_models) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.jobs import kinds

    kind = kinds.get_kind("storybook.text")
    prepared = [kind.prepare(_params(seed)) for seed in range(3)]
    assert len({key for _, key in prepared}) == 1 and prepared[0][1]
    assert kind.max_batch(prepared[0][0]) > 1
    contexts = [kinds.RunContext(i, 1, params, "amy") for i, (params, _) in enumerate(prepared)]
    seen: list[float] = []
    alone = [kind.run([context], lambda fraction, message: None)[0] for context in contexts]
    together = kind.run(contexts, lambda fraction, message: seen.append(fraction))
    assert all(isinstance(outcome, kinds.JobOutput) for outcome in alone), alone
    assert [o.result for o in together] == [o.result for o in alone]  # type: ignore[union-attr]
    assert seen  # progress reported from the calling thread


def test_cancelling_the_batch_stops_every_step(tiny_models) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.jobs import kinds

    kind = kinds.get_kind("storybook.text")
    contexts = [
        kinds.RunContext(i, 1, kind.prepare(_params(seed))[0], "amy") for i, seed in enumerate(range(2))
    ]

    def cancelled(fraction: float, message: str) -> None:
        raise kinds.JobCancelled

    with pytest.raises(kinds.JobCancelled):
        kind.run(contexts, cancelled)
