"""The pure scheduler core: fair order, concurrency limits, batch grouping, the batching window, LRU."""

from __future__ import annotations

import pytest

from aigc_contest.generation.scheduling import (
    ConcurrencyLimits,
    LoadedModelBudget,
    QueuedJob,
    fair_order,
    fifo_plan,
    ordered_jobs,
    plan_batch,
    queue_positions,
)


def job(id: int, user: str, school: str | None = "s1", t: float | None = None, key: str | None = None) -> QueuedJob:
    return QueuedJob(id=id, user=user, school=school, submitted_at=float(id if t is None else t), batch_key=key)


def ids(jobs: list[QueuedJob]) -> list[int]:
    return [j.id for j in jobs]


def test_round_robin_by_user_not_fifo() -> None:
    queue = [job(1, "heavy"), job(2, "heavy"), job(3, "heavy"), job(4, "a"), job(5, "b"), job(6, "a")]
    assert ids(fair_order(queue)) == [1, 4, 5, 2, 6, 3]


def test_running_jobs_count_as_served() -> None:
    queue = [job(1, "heavy"), job(2, "light")]
    assert ids(fair_order(queue, running_by_user={"heavy": 1})) == [2, 1]


def test_users_of_a_less_served_school_go_first_within_a_round() -> None:
    # School s1 has three users who asked first; s2's single user is not left to the end of the round.
    queue = [job(1, "a", "s1"), job(2, "b", "s1"), job(3, "c", "s1"), job(4, "d", "s2")]
    assert ids(fair_order(queue)) == [1, 4, 2, 3]


def test_user_concurrency_limit_skips_to_the_next_user() -> None:
    queue = [job(1, "a"), job(2, "b")]
    limits = ConcurrencyLimits(per_user=lambda user: 1)
    plan = plan_batch(queue, running_by_user={"a": 1}, limits=limits)
    assert ids(plan.jobs) == [2]
    assert plan_batch(queue, running_by_user={"a": 1, "b": 1}, limits=limits).empty


def test_school_concurrency_limit() -> None:
    queue = [job(1, "a", "s1"), job(2, "b", "s2")]
    limits = ConcurrencyLimits(per_school=lambda school: 2 if school == "s1" else None)
    assert ids(plan_batch(queue, running_by_school={"s1": 2}, limits=limits).jobs) == [2]


def test_batch_takes_compatible_jobs_in_fair_order_up_to_max() -> None:
    queue = [job(1, "a", key="sd"), job(2, "a", key="sd"), job(3, "b", key="other"), job(4, "c", key="sd"),
             job(5, "d", key="sd"), job(6, "e", key="sd")]
    plan = plan_batch(queue, max_batch=3)
    assert ids(plan.jobs) == [1, 4, 5]  # a's second job waits for its turn; b's differs
    assert plan.wait == 0


def test_batch_respects_limits_inside_the_batch() -> None:
    queue = [job(1, "a", key="k"), job(2, "a", key="k"), job(3, "a", key="k")]
    plan = plan_batch(queue, max_batch=8, limits=ConcurrencyLimits(per_user=lambda user: 2))
    assert ids(plan.jobs) == [1, 2]


def test_unbatchable_jobs_run_alone() -> None:
    queue = [job(1, "a"), job(2, "b")]
    assert ids(plan_batch(queue, max_batch=8, window=5, now=1).jobs) == [1]


def test_window_waits_for_companions_then_runs() -> None:
    queue = [job(1, "a", t=10.0, key="k")]
    early = plan_batch(queue, max_batch=4, now=10.2, window=0.5)
    assert abs(early.wait - 0.3) < 1e-9
    late = plan_batch(queue, max_batch=4, now=10.6, window=0.5)
    assert late.wait == 0 and ids(late.jobs) == [1]
    full = plan_batch([job(1, "a", t=10.0, key="k"), job(2, "b", t=10.1, key="k")], max_batch=2, now=10.2, window=0.5)
    assert full.wait == 0 and ids(full.jobs) == [1, 2]


def test_max_batch_can_depend_on_the_head_job() -> None:
    queue = [job(i, f"u{i}", key="k") for i in range(1, 6)]
    assert len(plan_batch(queue, max_batch=lambda head: 2).jobs) == 2


def test_queue_positions_follow_fair_order() -> None:
    queue = [job(1, "heavy"), job(2, "heavy"), job(3, "light")]
    assert queue_positions(queue) == {1: 1, 3: 2, 2: 3}


def test_fifo_baseline_batches_only_the_head_run() -> None:
    queue = [job(1, "a", key="k"), job(2, "b", key="k"), job(3, "c", key="x"), job(4, "d", key="k")]
    assert ids(fifo_plan(queue, max_batch=4).jobs) == [1, 2]


def test_loaded_model_budget_evicts_least_recently_used() -> None:
    budget = LoadedModelBudget(max_bytes=10, max_models=3)
    assert budget.touch("a", 4) == []
    assert budget.touch("b", 4) == []
    assert budget.touch("a", 4) == []
    assert budget.touch("c", 4) == ["b"]  # 12 bytes > 10: b was used least recently
    assert budget.loaded == ["a", "c"]
    assert budget.touch("huge", 50) == ["a", "c"]  # the one just used always stays
    assert budget.loaded == ["huge"]


def test_a_user_served_recently_goes_behind_users_not_served() -> None:
    # One worker, nothing running: without memory the heavy user's old job would lead every pass.
    queue = [job(1, "heavy", t=0), job(2, "heavy", t=0.5), job(3, "light", t=5)]
    assert ids(fair_order(queue)) == [1, 3, 2]
    assert ids(fair_order(queue, last_served={"heavy": 9.0})) == [3, 1, 2]
    assert ids(fair_order(queue, last_served={"heavy": 9.0, "light": 10.0})) == [1, 3, 2]


def test_fifo_order_serves_oldest_first_with_the_same_batching_and_limits() -> None:
    queue = [job(1, "heavy", key="k"), job(2, "heavy", key="k"), job(3, "heavy", key="k"), job(4, "a", key="k")]
    assert ids(ordered_jobs(queue, order="fifo")) == [1, 2, 3, 4]
    assert ids(ordered_jobs(queue)) == ids(fair_order(queue)) == [1, 4, 2, 3]
    assert ids(plan_batch(queue, max_batch=2, order="fifo").jobs) == [1, 2]
    assert ids(plan_batch(queue, max_batch=2).jobs) == [1, 4]
    two_at_once = ConcurrencyLimits(per_user=lambda user: 2)
    assert ids(plan_batch(queue, max_batch=4, limits=two_at_once, order="fifo").jobs) == [1, 2, 4]
    assert queue_positions(queue, order="fifo") == {1: 1, 2: 2, 3: 3, 4: 4}


def test_unknown_order_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown job order"):
        plan_batch([job(1, "a")], order="random")
