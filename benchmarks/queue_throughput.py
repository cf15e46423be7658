"""Throughput of the job engine: 32 requesters at once, batched scheduler against one job at a time.

Everything real except the broker: jobs go into a SQLite database through `submit_job`, the worker's
`run_available` claims them in fair order, runs them through the generation service (safety screening
included) and stores the PNGs. The model is built in memory by benchmarks/generation_throughput.py:
tiny random weights on CPU by default; `--device cuda --sd15` for SD-1.5-shaped random weights on a GPU.

    python benchmarks/queue_throughput.py [--requesters 32] [--per-user 2] [--batch 8] [--device cuda --sd15]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requesters", type=int, default=32)
    parser.add_argument("--per-user", type=int, default=2, help="requests each requester queues")
    parser.add_argument("--batch", type=int, default=8, help="max batch of the batched run")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--sd15", action="store_true", help="SD-1.5-shaped random weights (use with --device cuda)")
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--size", type=int, default=None)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args()
    args.steps = args.steps or (20 if args.sd15 else 4)
    args.size = args.size or (512 if args.sd15 else 64)

    work = Path(tempfile.mkdtemp(prefix="aigc-queue-bench-"))
    os.environ.update(AIGC_DATA_DIR=str(work), AIGC_SECRET_KEY="bench", DJANGO_SETTINGS_MODULE="aigc_contest.web.settings")
    os.environ.pop("DATABASE_URL", None)
    name = "sd15-random" if args.sd15 else "image-tiny"
    models = work / "models.toml"
    models.write_text(f'[[models]]\nname = "{name}"\nkind = "image"\nbackend = "diffusers"\npath = "{work}"\ntest_model = true\n')
    os.environ["AIGC_MODELS_FILE"] = str(models)

    import django

    django.setup()
    import torch
    from django.conf import settings
    from django.core.management import call_command

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from generation_throughput import build_backend

    from aigc_contest.generation.registry import shared_registry
    from aigc_contest.web.accounts.models import School, User
    from aigc_contest.web.jobs import runner
    from aigc_contest.web.jobs.models import Job, JobStatus
    from aigc_contest.web.jobs.services import submit_job

    torch.set_num_threads(args.threads)
    call_command("migrate", interactive=False, verbosity=0)
    settings.AIGC_JOBS.update(wake_workers=False, batch_window_seconds=0.0, quotas={})
    schools = [School.objects.create(code=f"s{i}", name_en=f"S{i}", level="primary") for i in range(4)]
    users = [User.objects.create(username=f"kid{i}", role="student", school=schools[i % 4]) for i in range(args.requesters)]
    backend = build_backend(argparse.Namespace(sd15=args.sd15, device=args.device, steps=args.steps, batch=args.batch))
    shared_registry()._backends[name] = backend  # the in-memory pipeline, as a worker would keep it loaded
    params = {"model": name, "prompt": "a lighthouse at dusk", "width": args.size, "height": args.size,
              "steps": args.steps}
    runner.run_available("gpu")  # nothing queued; warms Django and the database
    backend.generate_batch([backend_request(params)])  # warm-up: first call pays one-off costs

    results = {}
    for label, max_batch in (("one job at a time", 1), (f"batched (max {args.batch})", args.batch)):
        backend.capabilities = backend.capabilities.model_copy(update={"max_batch": max_batch})
        Job.objects.all().delete()
        for round_ in range(args.per_user):
            for n, user in enumerate(users):
                submit_job(user, "image", {**params, "seed": round_ * 1000 + n})
        started = time.perf_counter()
        done = runner.run_available("gpu", max_batches=10_000)
        elapsed = time.perf_counter() - started
        ok = Job.objects.filter(status=JobStatus.SUCCEEDED).count()
        batches = Job.objects.values("batch_id").distinct().count()
        results[label] = ok / elapsed
        print(f"{label:<22} {ok}/{done} jobs in {elapsed:6.2f} s  ({batches} batches)  {ok / elapsed:6.2f} images/s")
    one, batched = results.values()
    where = f"{args.device}, {'SD-1.5-shaped' if args.sd15 else 'tiny'} random weights, {args.size}px, {args.steps} steps"
    print(f"batched / one-at-a-time throughput: {batched / one:.2f}x  ({args.requesters} requesters, {where})")
    return 0


def backend_request(params: dict) -> object:
    from aigc_contest.generation.types import ImageRequest

    return ImageRequest.model_validate(params)


if __name__ == "__main__":
    raise SystemExit(main())
