"""The Celery application: configured from Django settings (CELERY_*), tasks from the jobs app.

Every process uses this one app: the worker runs it, and the web server and the command line send their
wake-ups through it (the jobs app imports it when Django starts). It is made the current and the default
app, so no thread of any process falls back to Celery's built-in default (a RabbitMQ on localhost)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aigc_contest.web.settings")

# The one task: a wake-up for a queue. Senders name it (jobs.services), the worker defines it (jobs.tasks).
DISPATCH_TASK = "aigc_contest.jobs.dispatch"

app = Celery("aigc_contest")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["aigc_contest.web.jobs"], related_name="tasks")
app.set_current()  # this thread
app.set_default()  # every other thread: request threads, timers, on_commit callbacks
