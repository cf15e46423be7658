"""What `/healthz` says about the embedded job worker.

`serve` (and `demo`) supervise the embedded worker and write its state to a small JSON file whose path
they put in AIGC_EMBEDDED_WORKER_STATE before the web workers start; the supervisor rewrites it every few
seconds, so a file that stops changing means the supervisor itself is gone. A web server without an
embedded worker (scaled: workers of their own) has no such variable, and `/healthz` says so.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

STATE_ENV = "AIGC_EMBEDDED_WORKER_STATE"
STALE_SECONDS = 20.0  # the supervisor writes every 2 s; this much silence means it is gone


def write_worker_state(path: Path, state: dict[str, Any]) -> None:
    """Replace the state file in one step (readers never see half a file)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps({**state, "updated_at": time.time()}))
    os.replace(temporary, path)


def embedded_worker_health(now: float | None = None) -> tuple[bool, dict[str, Any]]:
    """(healthy, report). Unhealthy: the worker was given up on, or nobody is watching it any more."""
    location = os.environ.get(STATE_ENV)
    if not location:
        return True, {"state": "not embedded"}
    try:
        state = json.loads(Path(location).read_text())
    except (OSError, ValueError):
        return False, {"state": "unknown", "reason": "no state from the server's supervisor"}
    report = {key: state.get(key) for key in ("state", "pid", "restarts", "last_exit")}
    age = (now or time.time()) - float(state.get("updated_at") or 0)
    if age > STALE_SECONDS:
        return False, {**report, "state": "unknown", "reason": f"no word from the supervisor for {age:.0f} s"}
    if report["state"] == "running" and not _alive(report.get("pid")):
        report["state"] = "restarting"  # died since the last check; the supervisor notices within seconds
    return report["state"] in {"starting", "running", "restarting"}, report


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True  # no /proc: the signal test is all there is
