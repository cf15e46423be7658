"""Run in a subprocess by the worker tests: migrate a file database, add a student, submit jobs.

    python harness.py KIND PARAMS_JSON [COUNT]   → prints the new job ids, one a line
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aigc_contest.web.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from aigc_contest.web.accounts.models import User  # noqa: E402
from aigc_contest.web.jobs.services import submit_job  # noqa: E402


def main() -> None:
    kind, params = sys.argv[1], json.loads(sys.argv[2])
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    call_command("migrate", interactive=False, verbosity=0)
    user, _ = User.objects.get_or_create(username="kid", defaults={"role": "student"})
    for _ in range(count):
        print(submit_job(user, kind, params).pk, flush=True)


if __name__ == "__main__":
    main()
