"""Local HTTP servers speaking the remote generation protocols, for tests without network.

- `FakeDashScope`: the Wanxiang asynchronous text-to-image protocol (submit, poll, download results), with
  switches for every outcome the backend must handle, and a record of the tasks in flight per API key.
- `FakeOpenAI`: `POST /v1/chat/completions` answering from a script, enforcing DashScope's rule that
  `json_object` mode needs the word JSON in the messages; `stream: true` is answered with server-sent
  events (`chat.completion.chunk` deltas of `stream_chunk_chars` characters, then `data: [DONE]`).

Both run a `ThreadingHTTPServer` on 127.0.0.1, port 0, in a thread; use them as context managers.
"""

from __future__ import annotations

import io
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import urlsplit

Reply = tuple[int, dict[str, str], bytes]


def json_reply(status: int, payload: Any) -> Reply:
    return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()


def png_bytes(seed: int, size: tuple[int, int] = (64, 48)) -> bytes:
    """A small real PNG whose colour depends on the seed."""
    from PIL import Image

    colour = (seed * 37 % 256, seed * 91 % 256, seed * 151 % 256)
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # decoded JSON, or None


class FakeHTTPServer:
    """A threaded HTTP server calling `self.handle(request) -> Reply`; subclasses implement a protocol."""

    def __init__(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                request = RecordedRequest(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                status, headers, payload = fake.handle(request)
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up first (the timeout tests do this on purpose)

            do_GET = _serve
            do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        # A short poll interval so shutdown() returns at once rather than after the default 0.5 s.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.lock = threading.Lock()
        self.requests: list[RecordedRequest] = []

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def handle(self, request: RecordedRequest) -> Reply:
        raise NotImplementedError


# ---------------------------------------------------------------------------------------------- DashScope


@dataclass
class FakeTask:
    task_id: str
    key: str
    body: dict[str, Any]
    polls: int = 0
    done: bool = False


@dataclass
class FakeDashScope(FakeHTTPServer):
    """DashScope's Wanxiang async protocol. Change the scenario fields before a test calls the backend."""

    api_key: str = "sk-test-key"
    polls_pending: int = 1  # polls answered PENDING, then `polls_running` answered RUNNING, then the end
    polls_running: int = 1
    final_status: str = "SUCCEEDED"  # or FAILED, CANCELED, UNKNOWN
    task_code: str = "InternalError"  # code/message of a FAILED task
    task_message: str = "the model crashed"
    refuse_submit: bool = False  # DataInspectionFailed on submit
    throttle_submits: int = 0  # this many submits are answered 429 Throttling first
    expired_images: bool = False  # result URLs answer 404
    failed_indexes: set[int] = field(default_factory=set)  # sub-images failing with `failed_code`
    failed_code: str = "InternalError"
    image_size: tuple[int, int] = (64, 48)

    def __post_init__(self) -> None:
        FakeHTTPServer.__init__(self)
        self.tasks: dict[str, FakeTask] = {}
        self.in_flight: dict[str, int] = {}
        self.max_in_flight: dict[str, int] = {}
        self._ids = itertools.count(1)

    @property
    def submissions(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "POST"]

    @property
    def polls(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.startswith("/api/v1/tasks/")]

    @property
    def downloads(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.startswith("/results/")]

    def handle(self, request: RecordedRequest) -> Reply:
        with self.lock:
            self.requests.append(request)
            path = urlsplit(request.path).path
            if path.startswith("/results/"):
                return self._result_image(path)
            if request.headers.get("authorization") != f"Bearer {self.api_key}":
                return json_reply(
                    401,
                    {"code": "InvalidApiKey", "message": "Invalid API-key provided.", "request_id": "r-auth"},
                )
            if request.method == "POST" and path == "/api/v1/services/aigc/text2image/image-synthesis":
                return self._submit(request)
            if request.method == "GET" and path.startswith("/api/v1/tasks/"):
                return self._poll(path.rsplit("/", 1)[-1])
            return json_reply(404, {"code": "NotFound", "message": path})

    def _submit(self, request: RecordedRequest) -> Reply:
        if request.headers.get("x-dashscope-async") != "enable":
            return json_reply(
                403,
                {"code": "AccessDenied", "message": "current user api does not support synchronous calls"},
            )
        if self.throttle_submits > 0:
            self.throttle_submits -= 1
            return json_reply(
                429, {"code": "Throttling", "message": "Requests rate limit exceeded", "request_id": "r-429"}
            )
        if self.refuse_submit:
            return json_reply(
                400,
                {
                    "code": "DataInspectionFailed",
                    "message": "Input data may contain inappropriate content.",
                    "request_id": "r-refused",
                },
            )
        task = FakeTask(task_id=f"task-{next(self._ids)}", key=self.api_key, body=request.body)
        self.tasks[task.task_id] = task
        self.in_flight[task.key] = self.in_flight.get(task.key, 0) + 1
        self.max_in_flight[task.key] = max(self.max_in_flight.get(task.key, 0), self.in_flight[task.key])
        return json_reply(
            200,
            {
                "output": {"task_id": task.task_id, "task_status": "PENDING"},
                "request_id": f"r-{task.task_id}",
            },
        )

    def _poll(self, task_id: str) -> Reply:
        task = self.tasks.get(task_id)
        if task is None:
            return json_reply(
                200, {"output": {"task_id": task_id, "task_status": "UNKNOWN"}, "request_id": "r"}
            )
        task.polls += 1
        if task.polls <= self.polls_pending:
            status = "PENDING"
        elif task.polls <= self.polls_pending + self.polls_running:
            status = "RUNNING"
        else:
            status = self.final_status
        output: dict[str, Any] = {"task_id": task_id, "task_status": status}
        if status in ("SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN") and not task.done:
            task.done = True
            self.in_flight[task.key] -= 1
        if status == "SUCCEEDED":
            output["results"] = self._results(task)
        elif status == "FAILED":
            output.update(code=self.task_code, message=self.task_message)
        return json_reply(200, {"output": output, "request_id": f"r-poll-{task_id}"})

    def _results(self, task: FakeTask) -> list[dict[str, Any]]:
        prompt = task.body["input"]["prompt"]
        parameters = task.body["parameters"]
        results = []
        for index in range(parameters.get("n", 1)):
            if index in self.failed_indexes:
                results.append({"code": self.failed_code, "message": "this picture failed"})
                continue
            seed = parameters.get("seed", 0) + index
            result = {
                "url": f"{self.url}/results/{task.task_id}/{seed}.png?Expires=1&Signature=abc",
                "orig_prompt": prompt,
            }
            if parameters.get("prompt_extend"):
                result["actual_prompt"] = f"{prompt}, soft watercolour light, detailed"
            results.append(result)
        return results

    def _result_image(self, path: str) -> Reply:
        if self.expired_images:
            return 404, {"Content-Type": "application/xml"}, b"<Error><Code>NoSuchKey</Code></Error>"
        seed = int(path.rsplit("/", 1)[-1].removesuffix(".png"))
        return 200, {"Content-Type": "image/png"}, png_bytes(seed, self.image_size)


# ---------------------------------------------------------------------------------------------- OpenAI


@dataclass
class ScriptedAnswer:
    """One chat completion: a text answer, or an HTTP error body, optionally after a delay."""

    content: str = ""
    finish_reason: str = "stop"
    status: int = 200
    error: dict[str, Any] | None = None
    delay: float = 0.0


CONTENT_FILTER_ERROR = ScriptedAnswer(
    status=400,
    error={
        "code": "data_inspection_failed",
        "param": None,
        "type": "data_inspection_failed",
        "message": "Input data may contain inappropriate content.",
    },
)
RATE_LIMIT_ERROR = ScriptedAnswer(
    status=429,
    error={
        "code": "limit_requests",
        "param": None,
        "type": "limit_requests",
        "message": "You exceeded your current requests list.",
    },
)
MODEL_NOT_FOUND_ERROR = ScriptedAnswer(
    status=404,
    error={
        "code": "model_not_found",
        "param": None,
        "type": "invalid_request_error",
        "message": "The model does not exist or you do not have access to it.",
    },
)


@dataclass
class FakeOpenAI(FakeHTTPServer):
    """`POST /v1/chat/completions`, answering `script` in order (then `default`)."""

    api_key: str = "sk-chat-key"
    script: list[ScriptedAnswer | str] = field(default_factory=list)
    default: str = "Hello!"
    stream_chunk_chars: int = 8

    def __post_init__(self) -> None:
        FakeHTTPServer.__init__(self)
        self._ids = itertools.count(1)

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def chat_bodies(self) -> list[dict[str, Any]]:
        return [r.body for r in self.requests if r.path == "/v1/chat/completions"]

    def handle(self, request: RecordedRequest) -> Reply:
        with self.lock:
            self.requests.append(request)
            if request.headers.get("authorization") != f"Bearer {self.api_key}":
                return json_reply(
                    401,
                    {
                        "error": {
                            "message": "Incorrect API key provided.",
                            "param": None,
                            "type": "invalid_request_error",
                            "code": "invalid_api_key",
                        }
                    },
                )
            if request.method != "POST" or request.path != "/v1/chat/completions":
                return json_reply(404, {"error": {"message": "no such route", "code": "not_found"}})
            body = request.body or {}
            response_format = body.get("response_format") or {}
            if response_format.get("type") == "json_object" and not any(
                "json" in str(m.get("content", "")).lower() for m in body.get("messages", [])
            ):
                return json_reply(
                    400,
                    {
                        "error": {
                            "code": "invalid_parameter_error",
                            "param": None,
                            "type": "invalid_request_error",
                            "message": "'messages' must contain the word 'json' in some form, to use 'response_format' "
                            "of type 'json_object'.",
                        }
                    },
                )
            answer = self.script.pop(0) if self.script else ScriptedAnswer(content=self.default)
            number = next(self._ids)
        if isinstance(answer, str):
            answer = ScriptedAnswer(content=answer)
        if answer.delay:
            time.sleep(answer.delay)
        if answer.status != 200:
            return json_reply(answer.status, {"error": answer.error, "request_id": f"req-{number}"})
        if body.get("stream"):
            return self._stream(answer, number, body.get("model", ""))
        return json_reply(
            200,
            {
                "id": f"chatcmpl-{number}",
                "object": "chat.completion",
                "created": 1_700_000_000,
                "model": body.get("model", ""),
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": answer.finish_reason,
                        "message": {"role": "assistant", "content": answer.content},
                    }
                ],
                "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
            },
        )

    def _stream(self, answer: ScriptedAnswer, number: int, model: str) -> Reply:
        def event(delta: dict[str, Any], finish_reason: str | None) -> bytes:
            chunk = {
                "id": f"chatcmpl-{number}",
                "object": "chat.completion.chunk",
                "created": 1_700_000_000,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
            }
            return f"data: {json.dumps(chunk)}\n\n".encode()

        size = max(1, self.stream_chunk_chars)
        pieces = [answer.content[i : i + size] for i in range(0, len(answer.content), size)]
        events = [event({"role": "assistant", "content": ""}, None)]
        events += [event({"content": piece}, None) for piece in pieces]
        events.append(event({}, answer.finish_reason))
        events.append(b"data: [DONE]\n\n")
        return 200, {"Content-Type": "text/event-stream"}, b"".join(events)
