"""`django-admin create_organiser NAME`: the first organiser of a new installation (or another one).

The password comes from AIGC_ORGANISER_PASSWORD when set (scripts, compose), otherwise it is asked for
twice. The organiser gets the back office too (staff and superuser), where competitions are set up."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from aigc_contest.web.accounts.models import Role, User


class Command(BaseCommand):
    help = "Create an organiser (with the back office), or make an existing login one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument("--display-name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"]
        user = User.objects.filter(username=username).first()
        password = os.environ.get("AIGC_ORGANISER_PASSWORD")
        if user is None and not password:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ.")
        candidate = user or User(username=username, email=options["email"])
        if password:
            try:
                validate_password(password, candidate)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
        created = user is None
        user = candidate
        user.role = Role.ORGANISER
        user.is_staff = user.is_superuser = True
        user.display_name = options["display_name"] or user.display_name or username
        if options["email"]:
            user.email = options["email"]
        if password:
            user.set_password(password)
        user.save()
        self.stdout.write(f"{'Created' if created else 'Updated'} organiser {username}.")
