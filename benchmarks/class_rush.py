"""A class of thirty at once: 30 children each start an 8-page storybook and 30 more ask for pictures, all
within the same ten seconds, under fair share and under FIFO.

Everything real except the broker: a SQLite database in a temporary data folder, the children's actions
through the same services the pages call (`works.services.start` of a storybook, and `jobs.services.submit_job`
with the image studio's parameters), one worker thread doing what the embedded worker does
(`jobs.services.claim_batch` + `jobs.runner.run_batch`, the platform's batch window, quotas and
storybook pipeline: each finished step queues the next from inside the worker). The order is switched
with the `order` job setting (`AIGC_JOB_ORDER=fair|fifo`); people are fresh for each order.

Per child: the wait from pressing the button to the first visible result (a storybook's page texts or
first picture; a picture request's pictures) and to the finished work (the storybook's last picture),
p50 / p95 / max, in seconds. Image throughput: images the platform made per second of worker time spent
on picture batches (claim, safety, generation, PNG + provenance, storing, applying to the book; the batch
window's waiting left out) as a fraction of a bare loop calling the same diffusers pipeline directly at the
backend's max batch, the same steps, size and guidance, in this process (measured before, between and
after the rushes). Aim: >= 0.8.

Tiny random-weight models on CPU by default (`aigc-contest models tiny`, built in the temp folder).
`--models FILE` points at any models file instead (real-size models on a GPU: its first image and text
models are used; set `max_batch` in the image model's options).

    python benchmarks/class_rush.py [--students 30] [--pictures 30] [--pages 8] [--within 10]
    python benchmarks/class_rush.py --models /srv/models.toml --threads 0   # a GPU machine
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

THEMES = ["a kite festival", "the lost umbrella", "a robot gardener", "the moon bakery", "a brave snail"]
PICTURE_PROMPTS = ["a lighthouse at dusk", "a cat astronaut", "a rainbow bridge", "a dragon reading a book"]


@dataclass
class Child:
    name: str
    group: str  # "storybook" or "pictures"
    arrives: float  # seconds after the rush starts
    pressed_at: float = 0.0  # wall clock when the action was taken
    work_id: int | None = None  # the storybook's Work
    job_id: int | None = None  # the picture request's job
    error: str = ""


@dataclass
class WorkerLog:
    image_seconds: float = 0.0  # busy on picture batches (window waits excluded)
    image_count: int = 0
    image_batches: int = 0
    image_jobs: int = 0
    text_seconds: float = 0.0
    window_seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    # Inside the picture batches: the pipeline calls, the output safety screening, prompt translation.
    parts: dict[str, float] = field(
        default_factory=lambda: {"pipeline": 0.0, "screening": 0.0, "translation": 0.0}
    )


LOG = WorkerLog()  # the running rush's log; the timed wrappers below add to its parts


def timed_part(part: str, function: Any) -> Any:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            LOG.parts[part] += time.perf_counter() - started

    return wrapper


def instrument(backend: Any) -> None:
    """Time where a picture batch's seconds go (the same functions run, only timed)."""
    from aigc_contest.generation import service

    backend._run_chunk = timed_part("pipeline", backend._run_chunk)
    service._screen_groups = timed_part("screening", service._screen_groups)
    service.translate_prompt = timed_part("translation", service.translate_prompt)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def setup_environment(models: str | None, work: Path) -> Path:
    os.environ.update(
        AIGC_DATA_DIR=str(work), AIGC_SECRET_KEY="bench", DJANGO_SETTINGS_MODULE="aigc_contest.web.settings"
    )
    os.environ.pop("DATABASE_URL", None)
    for quiet in ("TRANSFORMERS_VERBOSITY", "DIFFUSERS_VERBOSITY"):  # tiny models' truncation warnings
        os.environ.setdefault(quiet, "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.pop("AIGC_BROKER_URL", None)
    if models:
        models_file = Path(models).expanduser().resolve()
    else:
        from aigc_contest.generation.tiny import build_tiny_models

        models_file = build_tiny_models(work / "models")
    os.environ["AIGC_MODELS_FILE"] = str(models_file)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    # No broker: the worker thread below is the worker. Batch window and quotas stay as configured.
    settings.AIGC_JOBS = {**settings.AIGC_JOBS, "wake_workers": False}
    return models_file


def make_class(tag: str, children: list[Child], pages: int) -> dict[str, Any]:
    """Two classes (one school each): the storybook class with a team and entry per child, the picture class."""
    from datetime import timedelta

    from django.utils import timezone

    from aigc_contest.web.accounts.models import GuardianConsent, School, User
    from aigc_contest.web.contests.models import Category, Competition, Theme
    from aigc_contest.web.entries.models import Entry, Team

    now = timezone.now()
    deadline = now + timedelta(days=7)
    competition = Competition.objects.create(
        slug=f"rush-{tag}", name_en=f"Rush {tag}", timezone="Asia/Hong_Kong",
        registration_opens_at=deadline - timedelta(days=30), submission_opens_at=deadline - timedelta(days=20),
        submission_deadline=deadline, judging_starts_at=deadline, results_at=deadline + timedelta(days=14),
    )  # fmt: skip
    theme = Theme.objects.create(competition=competition, title_en="A greener city")
    category = Category.objects.create(
        competition=competition, slug="main", name_en="Main", school_levels=["primary"],
        work_types=["image", "storybook"], min_team_size=1, max_team_size=3, submission_limit=3,
    )  # fmt: skip
    category.themes.add(theme)
    schools = {group: School.objects.create(code=f"{tag}-{group}", name_en=f"{tag} {group}", level="primary")
               for group in ("storybook", "pictures")}  # fmt: skip
    teachers = {group: User.objects.create_user(username=f"{tag}-{group}-teacher", password=None,
                                                role="teacher", school=school)
                for group, school in schools.items()}  # fmt: skip
    people: dict[str, Any] = {}
    for child in children:
        user = User.objects.create_user(username=f"{tag}-{child.name}", password=None, role="student",
                                        school=schools[child.group], display_name=child.name)  # fmt: skip
        GuardianConsent.objects.create(student=user, method="paper", recorded_by=teachers[child.group])
        entry = None
        if child.group == "storybook":
            team = Team.objects.create(competition=competition, category=category, name=f"Team {child.name}",
                                       school=schools["storybook"], supervising_teacher=teachers["storybook"])  # fmt: skip
            team.members.set([user])
            entry = Entry.objects.create(team=team, category=category, theme=theme, work_type="storybook",
                                         title=f"Book of {child.name}")  # fmt: skip
        people[child.name] = (user, entry)
    return people


def act(
    child: Child, user: Any, entry: Any, pages: int, seed: int, image_model: str, size: tuple[int, int]
) -> None:
    """What the child's button does: start the storybook, or ask the image studio for two pictures."""
    from aigc_contest.web.jobs.services import submit_job
    from aigc_contest.web.works import services as works
    from aigc_contest.web.works.models import WorkKind

    child.pressed_at = time.time()
    if child.group == "storybook":
        work = works.start(user, entry, WorkKind.STORYBOOK, exists_ok=False, theme=THEMES[seed % len(THEMES)],
                           pages=pages, book_language="en", seed=seed)  # fmt: skip
        child.work_id = work.pk
    else:
        from aigc_contest.safety import check_text

        prompt = PICTURE_PROMPTS[seed % len(PICTURE_PROMPTS)]
        if not check_text(prompt).allowed:  # the image studio screens the prompt before queueing
            raise RuntimeError("prompt refused")
        job = submit_job(user, "image", {"model": image_model, "prompt": prompt, "negative_prompt": "", "n": 2,
                                         "seed": seed, "width": size[0], "height": size[1]})  # fmt: skip
        child.job_id = job.pk


def worker_loop(stop: threading.Event, log: WorkerLog) -> None:
    """The embedded worker's loop (runner.run_available), timed per batch."""
    from django.db import connection

    from aigc_contest.web.jobs import kinds, runner, services

    worker = "class-rush-worker"
    try:
        while not stop.is_set():
            started = time.perf_counter()
            claim = services.claim_batch("gpu", worker)
            if claim.wait > 0:
                pause = min(claim.wait, kinds.jobs_config()["batch_window_seconds"])
                time.sleep(pause)
                log.window_seconds += pause
                started = time.perf_counter()
                claim = services.claim_batch("gpu", worker, force=True)
            if not claim.jobs:
                time.sleep(0.02)  # idle: a real worker waits for the next wake-up
                continue
            runner.run_batch(claim.jobs)
            elapsed = time.perf_counter() - started
            if claim.jobs[0].kind == "image":
                log.image_seconds += elapsed
                log.image_batches += 1
                log.image_jobs += len(claim.jobs)
                log.image_count += sum(int(job.params.get("n", 1)) for job in claim.jobs)
            else:
                log.text_seconds += elapsed
    except Exception as exc:  # noqa: BLE001 - reported by the main thread
        log.errors.append(repr(exc))
        stop.set()
    finally:
        connection.close()


def all_done(children: list[Child]) -> bool:
    """Every child has pressed, every job is final, and every book has gone as far as it can."""
    from aigc_contest.web.jobs.models import FINAL_STATUSES, Job, JobStatus
    from aigc_contest.web.works.models import Work, WorkJob

    if any(c.pressed_at == 0.0 and not c.error for c in children):
        return False
    if (
        Job.objects.filter(pk__in=[c.job_id for c in children if c.job_id])
        .exclude(status__in=FINAL_STATUSES)
        .exists()
    ):
        return False
    works = [c.work_id for c in children if c.work_id]
    steps = WorkJob.objects.filter(work_id__in=works)
    if steps.exclude(job__status__in=FINAL_STATUSES).exists():
        return False
    if steps.filter(state=WorkJob.State.WAITING, job__status=JobStatus.SUCCEEDED).exists():
        return False  # a finished step not yet in its book: the worker applies it and queues what follows
    stopped = set(steps.exclude(job__status=JobStatus.SUCCEEDED).values_list("work_id", flat=True))
    for work in Work.objects.filter(pk__in=works).only("pk", "document"):
        document = work.document or {}
        if work.pk not in stopped and (document.get("book") is None or document.get("auto_pictures", True)):
            return False  # pages not written yet, or their pictures not queued yet
    return True


def waits_of(children: list[Child]) -> dict[str, dict[str, list[float]]]:
    """group -> {"first": [...], "finished": [...], "unfinished": [names]} in seconds from the button."""
    from aigc_contest.web.jobs.models import Job, JobStatus
    from aigc_contest.web.works.models import Work, WorkJob

    out: dict[str, dict[str, list[Any]]] = {g: {"first": [], "finished": [], "unfinished": []}
                                            for g in ("storybook", "pictures")}  # fmt: skip
    for child in children:
        group = out[child.group]
        if child.job_id:
            job = Job.objects.get(pk=child.job_id)
            if job.status == JobStatus.SUCCEEDED and job.finished_at:
                wait = job.finished_at.timestamp() - child.pressed_at
                group["first"].append(wait)
                group["finished"].append(wait)
            else:
                group["unfinished"].append(child.name)
            continue
        steps = list(WorkJob.objects.filter(work_id=child.work_id).select_related("job"))
        work = Work.objects.filter(pk=child.work_id).first()
        book = ((work.document if work else None) or {}).get("book") or {}
        pages = book.get("pages", [])
        complete = (bool(pages) and all(page.get("image") for page in pages)
                    and all(s.job.status == JobStatus.SUCCEEDED for s in steps))  # fmt: skip
        visible = [s.job.finished_at.timestamp() for s in steps if s.step in ("pages", "picture", "page_text")
                   and s.job.status == JobStatus.SUCCEEDED and s.job.finished_at]  # fmt: skip
        if visible:
            group["first"].append(min(visible) - child.pressed_at)
        if complete:
            group["finished"].append(max(s.job.finished_at.timestamp() for s in steps) - child.pressed_at)
        else:
            group["unfinished"].append(child.name)
    return out


def rush(
    order: str, tag: str, args: argparse.Namespace, image_model: str, size: tuple[int, int]
) -> dict[str, Any]:
    from django.conf import settings

    settings.AIGC_JOBS = {**settings.AIGC_JOBS, "order": order}
    rng = random.Random(args.seed)
    children = [Child(f"book{n}", "storybook", rng.uniform(0, args.within)) for n in range(args.students)]
    children += [Child(f"pic{n}", "pictures", rng.uniform(0, args.within)) for n in range(args.pictures)]
    people = make_class(tag, children, args.pages)
    global LOG
    stop, log = threading.Event(), WorkerLog()
    LOG = log
    load_before = machine_load()
    worker = threading.Thread(target=worker_loop, args=(stop, log), name="class-rush-worker", daemon=True)
    worker.start()
    start = time.perf_counter()
    for n, child in enumerate(sorted(children, key=lambda c: c.arrives)):
        delay = child.arrives - (time.perf_counter() - start)
        if delay > 0:
            time.sleep(delay)
        user, entry = people[child.name]
        try:
            act(child, user, entry, args.pages, args.seed * 1000 + n, image_model, size)
        except Exception as exc:  # noqa: BLE001 - reported in the table as unfinished
            child.error = repr(exc)
    submitted = time.perf_counter() - start
    deadline = start + args.timeout
    while not all_done(children) and not stop.is_set() and time.perf_counter() < deadline:
        time.sleep(0.1)
    elapsed = time.perf_counter() - start
    stop.set()
    worker.join(timeout=60)
    from aigc_contest.web.jobs.models import Job, JobStatus

    failed = [f"{job.kind} job of {job.owner.username}: {job.error} ({job.error_detail.strip().splitlines()[-1:]})"
              for job in Job.objects.filter(owner__username__startswith=f"{tag}-", status=JobStatus.FAILED)]  # fmt: skip
    return {"order": order, "waits": waits_of(children), "log": log, "elapsed": elapsed, "submitted": submitted,
            "errors": [f"{c.name}: {c.error}" for c in children if c.error] + log.errors, "failed_jobs": failed,
            "timed_out": elapsed >= args.timeout, "load": f"{load_before} before, {machine_load()} after"}  # fmt: skip


def bare_loop(backend: Any, size: tuple[int, int], images: int) -> float:
    """Images per second from the same pipeline called directly, in calls of the backend's max batch."""
    import torch

    from aigc_contest.generation.types import ImageRequest

    request = ImageRequest(model=backend.name, prompt="a lighthouse at dusk", width=size[0], height=size[1])
    steps, guidance, scheduler = backend._settings(request)
    pipe = backend.pipeline
    batch = int(backend.capabilities.max_batch)
    pipe.scheduler = backend._scheduler_for(scheduler)
    try:
        started = time.perf_counter()
        made = 0
        while made < images:
            count = min(batch, images - made)
            generators = [torch.Generator("cpu").manual_seed(made + i) for i in range(count)]
            with torch.inference_mode():
                pipe(prompt=[PICTURE_PROMPTS[(made + i) % len(PICTURE_PROMPTS)] for i in range(count)],
                     num_inference_steps=steps, guidance_scale=guidance, width=size[0], height=size[1],
                     generator=generators, output_type="pil")  # fmt: skip
            made += count
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        return images / (time.perf_counter() - started)
    finally:
        pipe.scheduler = backend._base_scheduler


def machine_load() -> str:
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return "load average unknown"
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min) on {os.cpu_count()} CPU(s)"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30, help="children starting a storybook")
    parser.add_argument("--pictures", type=int, default=30, help="children asking for two pictures")
    parser.add_argument("--pages", type=int, default=8, help="pages of each storybook")
    parser.add_argument("--within", type=float, default=10.0, help="seconds over which the children arrive")
    parser.add_argument("--orders", default="fair,fifo", help="job orders to run, comma-separated")
    parser.add_argument(
        "--models", help="models file (default: tiny random-weight models built in a temp folder)"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--timeout", type=float, default=1800.0, help="give up on a rush after this many seconds"
    )
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--no-warm-up",
        dest="warm_up",
        action="store_false",
        help="skip the one-page warm-up storybook (the smoke test; first waits then include loading)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    orders = [o.strip() for o in args.orders.split(",") if o.strip()]
    work = Path(tempfile.mkdtemp(prefix="aigc-class-rush-"))
    began = time.perf_counter()
    print(f"machine: {machine_load()} at start")
    models_file = setup_environment(args.models, work)
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from aigc_contest.generation.registry import shared_registry
    from aigc_contest.generation.service import generate_text
    from aigc_contest.generation.types import ImageRequest, TextRequest
    from aigc_contest.works.storybook.pipeline import Generator

    registry = shared_registry()
    image_model = registry.default("image").name
    text_model = registry.default("text").name
    size = Generator().image_size(image_model)
    backend = registry.image_backend(image_model)
    # Warm-up, outside the clock: load both models, one picture batch and one short piece of writing.
    backend.generate_batch([ImageRequest(model=image_model, prompt="warm-up", width=size[0], height=size[1])])
    generate_text(
        TextRequest(model=text_model, messages=[{"role": "user", "content": "Hello"}], max_tokens=8)
    )
    warm = {"errors": [], "timed_out": False}
    if args.warm_up:
        warm = rush("fair", "warm", argparse.Namespace(**{**vars(args), "students": 1, "pictures": 1, "pages": 1,
                                                          "within": 0.0}), image_model, size)  # fmt: skip
    if warm["errors"] or warm["timed_out"]:
        print(f"warm-up storybook did not finish: {warm['errors'] or 'timed out'}", file=sys.stderr)
        return 1
    steps = backend._settings(ImageRequest(model=image_model, prompt="x", width=size[0], height=size[1]))[0]
    device = (
        torch.cuda.get_device_name()
        if torch.cuda.is_available()
        else f"CPU, {torch.get_num_threads()} torch thread(s)"
    )
    print(f"models: {models_file if args.models else 'tiny random weights'} ({image_model} {size[0]}x{size[1]}, "
          f"{steps} steps, max batch {backend.capabilities.max_batch}; {text_model}); device: {device}")  # fmt: skip
    images = max(8, 2 * args.pictures + args.students * args.pages)
    instrument(backend)
    bare = [bare_loop(backend, size, images)]
    results = []
    for order in orders:
        results.append(rush(order, order, args, image_model, size))
        bare.append(bare_loop(backend, size, images))
        # The machine is shared: each rush is compared with the bare loop measured just before and after it.
        results[-1]["bare_rate"] = statistics.mean(bare[-2:])
        print(f"{order}: rush over in {results[-1]['elapsed']:.0f} s", file=sys.stderr, flush=True)
    report = render(args, results, bare)
    print(report["text"])
    print(f"machine: {machine_load()} at the end; total {time.perf_counter() - began:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(report["figures"], indent=2), encoding="utf-8")
    return 0 if all(not r["errors"] and not r["timed_out"] for r in results) else 1


def render(args: argparse.Namespace, results: list[dict[str, Any]], bare: list[float]) -> dict[str, Any]:
    lines = [
        f"{args.students} children start a {args.pages}-page storybook and {args.pictures} ask for 2 pictures, all "
        f"within {args.within:g} s; one worker. Waits in seconds from the child's button press.",
        f"{'order':<6} {'children':<22} {'wait to':<14} {'p50':>7} {'p95':>7} {'max':>7} {'done':>7}",
    ]
    figures: dict[str, Any] = {"bare_images_per_s": bare, "orders": {}}
    for result in results:
        order = result["order"]
        entry: dict[str, Any] = {"elapsed_s": result["elapsed"], "errors": result["errors"],
                                 "failed_jobs": result["failed_jobs"], "timed_out": result["timed_out"],
                                 "load": result["load"], "bare_images_per_s": result["bare_rate"]}  # fmt: skip
        for group, label in (
            ("storybook", f"{args.students} storybooks"),
            ("pictures", f"{args.pictures} pictures"),
        ):
            total = args.students if group == "storybook" else args.pictures
            waits = result["waits"][group]
            for metric, what in (("first", "first visible"), ("finished", "finished")):
                values = waits[metric]
                stats = ({"p50": statistics.median(values), "p95": percentile(values, 95), "max": max(values)}
                         if values else {"p50": None, "p95": None, "max": None})  # fmt: skip
                entry[f"{group}_{metric}"] = {**stats, "count": len(values), "of": total}
                cells = " ".join(f"{v:>7.1f}" if v is not None else f"{'-':>7}" for v in stats.values())
                lines.append(f"{order:<6} {label:<22} {what:<14} {cells} {len(values):>3}/{total:<3}")
            entry[f"{group}_unfinished"] = waits["unfinished"]
        log: WorkerLog = result["log"]
        rate = log.image_count / log.image_seconds if log.image_seconds else 0.0
        bare_rate = result["bare_rate"]
        pipeline_rate = log.image_count / log.parts["pipeline"] if log.parts["pipeline"] else 0.0
        entry.update(images=log.image_count, image_batches=log.image_batches, image_busy_s=log.image_seconds,
                     text_busy_s=log.text_seconds, window_wait_s=log.window_seconds, images_per_s=rate,
                     fraction_of_bare=rate / bare_rate if bare_rate else 0.0, image_parts_s=dict(log.parts),
                     pipeline_fraction_of_bare=pipeline_rate / bare_rate if bare_rate else 0.0)  # fmt: skip
        figures["orders"][order] = entry
    lines.append("")
    for order, entry in figures["orders"].items():
        batches = entry["image_batches"] or 1
        lines.append(
            f"{order:<6} all done in {entry['elapsed_s']:.0f} s; worker busy {entry['image_busy_s']:.1f} s on "
            f"{entry['images']} pictures ({entry['image_batches']} batches, {entry['images'] / batches:.1f} "
            f"pictures each), {entry['text_busy_s']:.1f} s writing, {entry['window_wait_s']:.1f} s batch window"
        )
        parts = entry["image_parts_s"]
        other = entry["image_busy_s"] - sum(parts.values())
        lines.append(
            f"       picture seconds: pipeline {parts['pipeline']:.1f}, safety screening {parts['screening']:.1f}, "
            f"prompt translation {parts['translation']:.1f}, the rest (claim, PNG, storing, book) {other:.1f}"
        )
        lines.append(f"       machine: {entry['load']}")
    lines.append(
        f"bare diffusers loop runs (before, then after each order): {', '.join(f'{b:.2f}' for b in bare)} images/s"
    )
    for order, entry in figures["orders"].items():
        verdict = "meets" if entry["fraction_of_bare"] >= 0.8 else "below"
        lines.append(f"{order:<6} platform {entry['images_per_s']:.2f} images/s = {entry['fraction_of_bare']:.2f} of "
                     f"the bare loop's {entry['bare_images_per_s']:.2f} ({verdict} the 0.8 aim); its pipeline calls "
                     f"alone {entry['pipeline_fraction_of_bare']:.2f}")  # fmt: skip
        if entry["errors"] or entry["timed_out"] or entry["failed_jobs"]:
            problems = entry["errors"][:5] + entry["failed_jobs"][:5]
            lines.append(f"       problems: {'timed out; ' if entry['timed_out'] else ''}{problems}")
    return {"text": "\n".join(lines), "figures": figures}


if __name__ == "__main__":
    raise SystemExit(main())
