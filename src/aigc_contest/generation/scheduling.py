"""Which queued generation jobs run next: fair share, quotas and dynamic batching, as plain functions.

No Django here: the jobs app feeds these functions rows from the database, the benchmarks feed them
simulated queues, and both get the same decisions.

Fair order: round-robin by user, then by school. A user's k-th waiting job (counting the jobs they
already have running) comes in round k; within a round, users whose school has been served less go
first, then users served longest ago (`last_served`: the round-robin's memory between passes, so a user
with a long backlog goes to the back of the line after each turn), then the older job. A class of 30 children each asking once is served before one child's
fiftieth request, and one busy school does not crowd out another.

`order="fifo"` (the `AIGC_JOB_ORDER=fifo` setting) serves jobs oldest first instead, with the same batching
and concurrency limits: the baseline that benchmarks/class_rush.py compares fair share against.
"""

from __future__ import annotations

import heapq
from collections import Counter, OrderedDict, defaultdict, deque
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# A user or school key as the callers pass it: any hashable value (the web layer uses database ids).
# Any rather than Hashable so a caller's dict[int, int] fits the read-only mappings below.
Key = Any

ORDERS = ("fair", "fifo")


@dataclass(frozen=True)
class QueuedJob:
    id: int
    user: Hashable
    school: Hashable | None
    submitted_at: float  # seconds (epoch or simulated); also the FIFO tie-break
    batch_key: Hashable | None = None  # jobs with equal, non-None keys may share one batch


@dataclass(frozen=True)
class ConcurrencyLimits:
    """How many jobs may run at once; None means no limit."""

    per_user: Callable[[Key], int | None] = lambda user: None
    per_school: Callable[[Key], int | None] = lambda school: None


@dataclass
class BatchPlan:
    jobs: list[QueuedJob] = field(default_factory=list)
    wait: float = 0.0  # > 0: wait this long for more compatible jobs before running

    @property
    def empty(self) -> bool:
        return not self.jobs


def fair_order(
    jobs: Iterable[QueuedJob],
    running_by_user: Mapping[Key, int] | None = None,
    running_by_school: Mapping[Key, int] | None = None,
    last_served: Mapping[Key, float] | None = None,
) -> list[QueuedJob]:
    """All jobs in the order they should be served (see the module docstring). `last_served`: user ->
    when their latest job started (users absent from it were never served and go first)."""
    last_served = last_served or {}
    per_user: dict[Hashable, deque[QueuedJob]] = defaultdict(deque)
    for job in sorted(jobs, key=lambda j: (j.submitted_at, j.id)):
        per_user[job.user].append(job)
    user_served: Counter[Hashable] = Counter(running_by_user or {})
    school_served: Counter[Hashable] = Counter(running_by_school or {})
    school_of = {user: queue[0].school for user, queue in per_user.items()}

    def key(user: Hashable) -> tuple[int, int, float, float, int]:
        head = per_user[user][0]
        served_at = last_served.get(user, float("-inf"))
        return (user_served[user], school_served[school_of[user]], served_at, head.submitted_at, head.id)

    # A heap with lazy keys: serving a user raises its school's count, which only ever raises other
    # users' keys, so a popped entry whose key went stale is pushed back with its fresh key.
    heap = [(key(user), user) for user in per_user]
    heapq.heapify(heap)
    order: list[QueuedJob] = []
    while heap:
        stored, user = heapq.heappop(heap)
        fresh = key(user)
        if fresh != stored:
            heapq.heappush(heap, (fresh, user))
            continue
        order.append(per_user[user].popleft())
        user_served[user] += 1
        school_served[school_of[user]] += 1
        if per_user[user]:
            heapq.heappush(heap, (key(user), user))
    return order


def ordered_jobs(
    jobs: Iterable[QueuedJob],
    running_by_user: Mapping[Key, int] | None = None,
    running_by_school: Mapping[Key, int] | None = None,
    last_served: Mapping[Key, float] | None = None,
    *,
    order: str = "fair",
) -> list[QueuedJob]:
    """All jobs in serving order: `fair_order`, or oldest first for `order="fifo"`."""
    if order == "fifo":
        return sorted(jobs, key=lambda j: (j.submitted_at, j.id))
    if order != "fair":
        raise ValueError(f"unknown job order {order!r}; expected one of {', '.join(ORDERS)}")
    return fair_order(jobs, running_by_user, running_by_school, last_served)


def plan_batch(
    jobs: Sequence[QueuedJob],
    *,
    max_batch: int | Callable[[QueuedJob], int] = 1,
    running_by_user: Mapping[Key, int] | None = None,
    running_by_school: Mapping[Key, int] | None = None,
    limits: ConcurrencyLimits | None = None,
    last_served: Mapping[Key, float] | None = None,
    now: float = 0.0,
    window: float = 0.0,
    order: str = "fair",
) -> BatchPlan:
    """The next batch: the first job in fair order whose user and school are under their concurrency
    limits, plus later compatible jobs (same batch key) up to the backend's max batch.

    When the batch is not full and its first job has waited less than `window`, the plan says how long to
    wait for companions (dynamic batching); the caller waits and plans again.

    `order`: "fair" (see the module docstring) or "fifo" (oldest first, everything else the same)."""
    limits = limits or ConcurrencyLimits()
    user_running: Counter[Hashable] = Counter(running_by_user or {})
    school_running: Counter[Hashable] = Counter(running_by_school or {})

    def admissible(job: QueuedJob) -> bool:
        user_cap = limits.per_user(job.user)
        if user_cap is not None and user_running[job.user] >= user_cap:
            return False
        school_cap = limits.per_school(job.school) if job.school is not None else None
        return school_cap is None or school_running[job.school] < school_cap

    def take(job: QueuedJob) -> None:
        batch.append(job)
        user_running[job.user] += 1
        if job.school is not None:
            school_running[job.school] += 1

    batch: list[QueuedJob] = []
    ordered = ordered_jobs(jobs, running_by_user, running_by_school, last_served, order=order)
    head = next((job for job in ordered if admissible(job)), None)
    if head is None:
        return BatchPlan()
    take(head)
    capacity = max(1, max_batch(head) if callable(max_batch) else max_batch)
    if head.batch_key is not None:
        for job in ordered:
            if len(batch) >= capacity:
                break
            if job is not head and job.batch_key == head.batch_key and admissible(job):
                take(job)
    wait = 0.0
    if len(batch) < capacity and head.batch_key is not None and window > 0:
        wait = max(0.0, head.submitted_at + window - now)
    return BatchPlan(batch, wait)


def queue_positions(
    jobs: Iterable[QueuedJob],
    running_by_user: Mapping[Key, int] | None = None,
    running_by_school: Mapping[Key, int] | None = None,
    last_served: Mapping[Key, float] | None = None,
    *,
    order: str = "fair",
) -> dict[int, int]:
    """Job id -> 1-based place in the serving order (what the page shows as "n-th in line")."""
    ordered = ordered_jobs(jobs, running_by_user, running_by_school, last_served, order=order)
    return {job.id: place for place, job in enumerate(ordered, 1)}


def fifo_plan(jobs: Sequence[QueuedJob], *, max_batch: int = 1) -> BatchPlan:
    """The plain first-in-first-out baseline the benchmarks compare against (batches only a run of
    compatible jobs at the head of the line)."""
    ordered = sorted(jobs, key=lambda j: (j.submitted_at, j.id))
    if not ordered:
        return BatchPlan()
    batch = [ordered[0]]
    for job in ordered[1:]:
        if len(batch) >= max_batch or job.batch_key is None or job.batch_key != batch[0].batch_key:
            break
        batch.append(job)
    return BatchPlan(batch)


class LoadedModelBudget:
    """Keeps the most recently used models loaded within a memory budget (bytes) and a count.

    `touch(name, size)` records a use and returns the names to unload, least recently used first,
    never the one just used."""

    def __init__(self, max_bytes: int | None = None, max_models: int | None = None) -> None:
        self.max_bytes = max_bytes
        self.max_models = max_models
        self._sizes: OrderedDict[str, int] = OrderedDict()

    @property
    def loaded(self) -> list[str]:
        return list(self._sizes)

    def touch(self, name: str, size: int = 0) -> list[str]:
        self._sizes[name] = size
        self._sizes.move_to_end(name)
        evicted: list[str] = []
        while len(self._sizes) > 1 and self._over_budget():
            victim, _ = self._sizes.popitem(last=False)
            evicted.append(victim)
        return evicted

    def forget(self, name: str) -> None:
        self._sizes.pop(name, None)

    def _over_budget(self) -> bool:
        if self.max_models is not None and len(self._sizes) > self.max_models:
            return True
        return self.max_bytes is not None and sum(self._sizes.values()) > self.max_bytes
