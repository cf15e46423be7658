"""The DashScope Wanxiang backend against a local server speaking its asynchronous task protocol."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from aigc_contest.generation.backends.dashscope_wanx import (
    DashScopeImageBackend,
    ProcessLocalLimiter,
    key_id_for,
)
from aigc_contest.generation.provenance import read_provenance
from aigc_contest.generation.types import GenerationError, ImageRequest, LoraSpec
from aigc_contest.safety.verdict import SafetyRefusal

try:  # tests/generation may or may not be a package
    from .fake_servers import FakeDashScope
except ImportError:
    from fake_servers import FakeDashScope

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class FakeTime:
    """An injected clock: sleeping advances it without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
def server() -> Iterator[FakeDashScope]:
    with FakeDashScope() as fake:
        yield fake


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def backend_for(
    server: FakeDashScope, fake_time: FakeTime | None = None, **options: object
) -> DashScopeImageBackend:
    if fake_time is not None:
        options.setdefault("sleep", fake_time.sleep)
        options.setdefault("clock", fake_time.clock)
    options.setdefault("limiter", ProcessLocalLimiter())
    return DashScopeImageBackend(
        "wanx", "wanx2.1-t2i-turbo", base_url=server.url, api_key=server.api_key, **options
    )


def draw(prompt: str = "一隻在月亮上的兔子", n: int = 1, seed: int = 42, **fields: object) -> ImageRequest:
    return ImageRequest(model="wanx", prompt=prompt, n=n, seed=seed, width=1024, height=768, **fields)


def test_pending_running_succeeded_gives_pngs_with_provenance(
    server: FakeDashScope, fake_time: FakeTime
) -> None:
    server.polls_pending, server.polls_running = 2, 2
    images = backend_for(server, fake_time).generate(draw(n=2, seed=42, negative_prompt="blurry"))

    assert [image.seed for image in images] == [42, 43]
    for index, image in enumerate(images):
        assert image.png.startswith(PNG_SIGNATURE)
        info = read_provenance(image.png)
        assert info.source == "aigc-contest"
        assert info.seed == 42 + index and info.prompt == "一隻在月亮上的兔子"
        assert info.negative_prompt == "blurry" and (info.width, info.height) == server.image_size
        assert info.provenance is not None and info.provenance.model_id == "wanx2.1-t2i-turbo"
        assert info.provenance.extra["task_id"] == "task-1"
        assert info.aigc_label is not None and info.aigc_label["Label"] == "1"
    # The download is the server's picture for that seed, re-encoded.
    assert images[0].png != images[1].png

    (submit,) = server.submissions
    assert submit.headers["authorization"] == f"Bearer {server.api_key}"
    assert submit.headers["x-dashscope-async"] == "enable"
    assert submit.headers["content-type"] == "application/json"
    assert submit.body == {
        "model": "wanx2.1-t2i-turbo",
        "input": {"prompt": "一隻在月亮上的兔子", "negative_prompt": "blurry"},
        "parameters": {"size": "1024*768", "n": 2, "seed": 42, "prompt_extend": False, "watermark": False},
    }
    assert len(server.polls) == 5 and all(p.headers["authorization"] for p in server.polls)
    # Result links live on a storage host: the API key is never sent there.
    assert len(server.downloads) == 2 and all("authorization" not in d.headers for d in server.downloads)
    # Backoff: one sleep before each poll, growing, capped.
    assert fake_time.sleeps == [1.0, 1.5, 2.25, 3.375, 5.0]


def test_more_than_four_images_continue_the_seed_sequence(server: FakeDashScope, fake_time: FakeTime) -> None:
    images = backend_for(server, fake_time).generate(draw(n=6, seed=10))
    assert [image.seed for image in images] == [10, 11, 12, 13, 14, 15]
    assert [read_provenance(image.png).seed for image in images] == [10, 11, 12, 13, 14, 15]
    assert [(s.body["parameters"]["n"], s.body["parameters"]["seed"]) for s in server.submissions] == [
        (4, 10),
        (2, 14),
    ]


def test_progress_reports_each_task(server: FakeDashScope, fake_time: FakeTime) -> None:
    steps: list[tuple[int, int]] = []
    backend_for(server, fake_time).generate(
        draw(n=5), progress=lambda done, total: steps.append((done, total))
    )
    assert steps == [(4, 5), (5, 5)]


def test_prompt_extension_keeps_the_actual_prompt(server: FakeDashScope, fake_time: FakeTime) -> None:
    (image,) = backend_for(server, fake_time, prompt_extend=True, watermark=True).generate(
        draw(prompt="a rabbit", original_prompt="一隻兔子")
    )
    assert server.submissions[0].body["parameters"]["prompt_extend"] is True
    assert server.submissions[0].body["parameters"]["watermark"] is True
    record = read_provenance(image.png).provenance
    assert record is not None
    assert record.prompt == "a rabbit" and record.original_prompt == "一隻兔子"
    assert record.extra["actual_prompt"] == "a rabbit, soft watercolour light, detailed"
    assert record.extra["prompt_extend"] is True


def test_failed_task_gives_its_reason(server: FakeDashScope, fake_time: FakeTime) -> None:
    server.final_status = "FAILED"
    with pytest.raises(GenerationError, match=r"task task-1 failed \(InternalError: the model crashed\)"):
        backend_for(server, fake_time).generate(draw())
    assert server.downloads == []


@pytest.mark.parametrize(
    "status, reason", [("CANCELED", "was cancelled"), ("UNKNOWN", "no longer knows task")]
)
def test_cancelled_and_unknown_tasks(
    server: FakeDashScope, fake_time: FakeTime, status: str, reason: str
) -> None:
    server.final_status = status
    with pytest.raises(GenerationError, match=reason):
        backend_for(server, fake_time).generate(draw())


def test_refusal_on_submit_is_a_safety_refusal(server: FakeDashScope, fake_time: FakeTime) -> None:
    server.refuse_submit = True
    with pytest.raises(SafetyRefusal) as caught:
        backend_for(server, fake_time).generate(draw(prompt="something unkind"))
    assert caught.value.verdict.layer == "remote"
    assert "remote:DataInspectionFailed" in caught.value.verdict.matched
    assert server.polls == []


def test_refusal_inside_the_task_is_a_safety_refusal(server: FakeDashScope, fake_time: FakeTime) -> None:
    server.final_status, server.task_code = "FAILED", "DataInspectionFailed"
    with pytest.raises(SafetyRefusal):
        backend_for(server, fake_time).generate(draw())


def test_every_sub_image_refused_is_a_safety_refusal(server: FakeDashScope, fake_time: FakeTime) -> None:
    server.failed_indexes, server.failed_code = {0, 1}, "DataInspectionFailed"
    with pytest.raises(SafetyRefusal):
        backend_for(server, fake_time).generate(draw(n=2))


def test_a_failed_sub_image_leaves_the_others_with_their_seeds(
    server: FakeDashScope, fake_time: FakeTime
) -> None:
    server.failed_indexes = {1}
    images = backend_for(server, fake_time).generate(draw(n=3, seed=100))
    assert [image.seed for image in images] == [100, 102]
    assert [read_provenance(image.png).seed for image in images] == [100, 102]


def test_expired_result_link_says_so(server: FakeDashScope, fake_time: FakeTime) -> None:
    server.expired_images = True
    with pytest.raises(GenerationError, match="link has expired"):
        backend_for(server, fake_time).generate(draw())


def test_throttled_submit_waits_and_submits_again(server: FakeDashScope, fake_time: FakeTime) -> None:
    server.throttle_submits = 2
    (image,) = backend_for(server, fake_time).generate(draw())
    assert image.seed == 42
    assert len(server.submissions) == 3
    assert fake_time.sleeps[:2] == [1.0, 2.0]  # backoff between submissions


def test_throttled_too_long_gives_up(server: FakeDashScope, fake_time: FakeTime) -> None:
    server.throttle_submits = 100
    with pytest.raises(GenerationError, match="rate limited"):
        backend_for(server, fake_time, submit_retries=2).generate(draw())
    assert len(server.submissions) == 3


def test_task_that_never_ends_times_out(server: FakeDashScope, fake_time: FakeTime) -> None:
    server.polls_running = 10_000
    with pytest.raises(GenerationError, match="still RUNNING after 60 s"):
        backend_for(server, fake_time, task_timeout=60).generate(draw())
    assert 60 <= sum(fake_time.sleeps) <= 66 and len(server.polls) < 20


def test_refused_key_is_reported_without_the_key(server: FakeDashScope, fake_time: FakeTime) -> None:
    backend = DashScopeImageBackend(
        "wanx",
        "wanx2.1-t2i-turbo",
        base_url=server.url,
        api_key="sk-wrong-9",
        sleep=fake_time.sleep,
        limiter=ProcessLocalLimiter(),
    )
    with pytest.raises(GenerationError, match="refused the API key") as caught:
        backend.generate(draw())
    assert "sk-wrong-9" not in str(caught.value)


def test_missing_key_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    with pytest.raises(GenerationError, match="DASHSCOPE_API_KEY"):
        DashScopeImageBackend("wanx", "wanx2.1-t2i-turbo").generate(draw())


def test_unreachable_server_is_reported(fake_time: FakeTime) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = DashScopeImageBackend(
        "wanx", "m", base_url=f"http://127.0.0.1:{port}", api_key="k", sleep=fake_time.sleep
    )
    with pytest.raises(GenerationError, match="could not reach"):
        backend.generate(draw())


@pytest.mark.parametrize(
    "fields, reason",
    [
        ({"width": 256, "height": 256}, "512–1440 pixels"),
        ({"loras": (LoraSpec(name="style.safetensors"),)}, "cannot use LoRA"),
        ({"prompt": "x" * 801}, "at most 800 characters"),
        ({"seed": 2**31 - 1, "n": 2}, "seeds"),
    ],
)
def test_requests_it_cannot_serve_fail_before_any_call(
    server: FakeDashScope, fields: dict, reason: str
) -> None:
    request = ImageRequest(model="wanx", **{"prompt": "a cat", "width": 512, "height": 512, **fields})
    with pytest.raises(GenerationError, match=reason):
        backend_for(server).generate(request)
    assert server.requests == []


def _generate_concurrently(
    backends: list[DashScopeImageBackend], threads_per_backend: int
) -> list[BaseException]:
    errors: list[BaseException] = []

    def work(backend: DashScopeImageBackend) -> None:
        try:
            backend.generate(draw())
        except BaseException as exc:  # collected and asserted on by the test
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(b,)) for b in backends for _ in range(threads_per_backend)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    return errors


def short_sleep(seconds: float) -> None:
    time.sleep(0.005)  # real time passes so that tasks overlap, but quickly


def test_in_flight_limit_per_key_under_concurrency(server: FakeDashScope) -> None:
    server.polls_pending, server.polls_running = 2, 2
    backend = backend_for(server, sleep=short_sleep)
    assert _generate_concurrently([backend], 6) == []
    assert len(server.submissions) == 6
    assert server.max_in_flight[server.api_key] == 2


def test_without_the_limit_more_tasks_overlap(server: FakeDashScope) -> None:
    """The control for the test above: the fake really sees overlapping tasks when nothing holds them back."""
    server.polls_pending, server.polls_running = 2, 2
    backend = backend_for(server, sleep=short_sleep, max_in_flight=6)
    assert _generate_concurrently([backend], 6) == []
    assert server.max_in_flight[server.api_key] > 2


def test_backends_sharing_a_key_share_the_limit(server: FakeDashScope) -> None:
    server.polls_pending, server.polls_running = 2, 2
    limiter = ProcessLocalLimiter()
    backends = [backend_for(server, sleep=short_sleep, limiter=limiter) for _ in range(2)]
    assert _generate_concurrently(backends, 3) == []
    assert server.max_in_flight[server.api_key] == 2


def test_a_plugged_in_limiter_gets_a_key_hash_never_the_key(
    server: FakeDashScope, fake_time: FakeTime
) -> None:
    calls: list[tuple[str, int, float]] = []

    class RecordingLimiter:
        @contextmanager
        def slot(self, key_id: str, limit: int, timeout: float) -> Iterator[None]:
            calls.append((key_id, limit, timeout))
            yield

    backend_for(server, fake_time, limiter=RecordingLimiter(), max_in_flight=3).generate(draw(n=5))
    assert calls == [(key_id_for(server.api_key), 3, 600.0)] * 2
    assert server.api_key not in calls[0][0]


def test_a_full_limiter_gives_a_friendly_error(server: FakeDashScope, fake_time: FakeTime) -> None:
    class FullLimiter:
        @contextmanager
        def slot(self, key_id: str, limit: int, timeout: float) -> Iterator[None]:
            raise TimeoutError("no slot")
            yield

    with pytest.raises(GenerationError, match="too many pictures are being made"):
        backend_for(server, fake_time, limiter=FullLimiter()).generate(draw())
    assert server.requests == []
