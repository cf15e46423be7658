"""What the organiser commands share: acting as a named person (`--as USERNAME`), finding the competition and
the round, and turning a service's refusal into a message and an exit code.

Each organiser command is a thin call of the service the organiser's pages and the JSON API call, with the
person named by `--as` as the actor: the same rules decide what they may do, and the audit log names them.
"""

from __future__ import annotations

import argparse
from typing import Any

from aigc_contest.cli.common import EXIT_DEFECTS, EXIT_ERROR, CliError

# Service codes whose refusal means the things given (scores, a file) have defects, listed on stderr.
DEFECT_CODES = {"defects"}


def add_actor(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as", dest="actor", required=True, metavar="USERNAME",
                        help="act as this organiser (their roles decide what is allowed; the audit log names them)")


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def setup() -> None:
    from aigc_contest.cli.web import setup_django

    setup_django()


def actor(username: str) -> Any:
    from aigc_contest.web.accounts.models import User

    user = User.objects.filter(username=username).first()
    if user is None:
        raise CliError(f"no account {username!r}")
    if not user.is_active:
        raise CliError(f"the account {username!r} is not active")
    return user


def competition(slug: str, user: Any, perm: str) -> Any:
    """The competition `slug`, when `user` holds `perm` on it (an unknown one and a refused one are told
    apart: whoever runs the command has the database already)."""
    from aigc_contest.web.contests.models import Competition

    found = Competition.objects.filter(slug=slug).first()
    if found is None:
        raise CliError(f"no competition {slug!r}")
    if not user.has_perm(perm, found):
        raise CliError(f"{user.username} may not do that in competition {slug!r} ({perm})")
    return found


def round_of(competition_: Any, kind: str) -> Any:
    from aigc_contest.web.judging.models import Round

    found = Round.objects.filter(competition=competition_, kind=kind).select_related("competition").first()
    if found is None:
        have = ", ".join(competition_.rounds.values_list("kind", flat=True)) or "none"
        raise CliError(f"competition {competition_.slug!r} has no {kind} round (rounds: {have})")
    return found


def refusal(exc: Any, hint: str = "") -> CliError:
    """A service's refusal as a CLI error: exit 4 with the defects listed, else exit 1."""
    message = exc.message + (f" ({hint})" if hint else "")
    if exc.code in DEFECT_CODES:
        return CliError(message, EXIT_DEFECTS)
    return CliError(message, EXIT_ERROR)
