"""The Celery application: configured from Django settings (CELERY_*), tasks from the jobs app."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aigc_contest.web.settings")

app = Celery("aigc_contest")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["aigc_contest.web.jobs"], related_name="tasks")
