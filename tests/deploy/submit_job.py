"""Run with the recipe's environment: two students, then one job on the GPU queue (prints its id)."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aigc_contest.web.settings")

import django  # noqa: E402

django.setup()

import deploykinds_for_tests  # noqa: E402,F401

from aigc_contest.web.accounts.models import User  # noqa: E402
from aigc_contest.web.jobs.services import submit_job  # noqa: E402

kid = User.objects.create_user("kid", password="kid-password-1", role="student", is_adult=True)
User.objects.create_user("other.kid", password="kid-password-2", role="student", is_adult=True)
print(submit_job(kid, "test.gpu-picture", {}).pk, flush=True)
