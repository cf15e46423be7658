"""`aigc-contest certificates verify UUID`: is this certificate genuine and still valid? And the organiser's
`certificates issue SLUG` (every participant's and winner's, once the results are announced) and
`certificates revoke UUID --reason TEXT`, acting as a named organiser (`--as USERNAME`) through the services
the organiser's pages and the JSON API call.

Exit codes: 0 valid (or done) · 1 unknown or revoked (the reason printed), or refused (not allowed, not yet
announced, revoked already) · 2 the argument is not a certificate number.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path
from typing import Any

from aigc_contest.cli.common import EXIT_ERROR, EXIT_OK, EXIT_USAGE, CliError, print_json


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("certificates", help="check, issue and revoke certificates")
    commands = parser.add_subparsers(dest="certificates_command", metavar="COMMAND")
    verify = commands.add_parser(
        "verify", help="say whether a certificate is valid",
        description="Look a certificate up by the number printed on it (a UUID) in this site's database.",
    )
    verify.add_argument("uuid", metavar="UUID", help="the certificate number, e.g. 0f8c…-…")
    verify.add_argument("--pdf", metavar="FILE", help="also check that this PDF is the one issued (SHA-256)")
    verify.add_argument("--json", action="store_true", help="print the result as JSON")
    verify.set_defaults(func=run_verify)

    from aigc_contest.cli import organiser

    issue = commands.add_parser(
        "issue", help="issue every participant's and winner's certificate (after the announcement)",
        description="Queue the job that issues every participant's and award winner's certificate (one job at a "
                    "time per competition, as the organiser's page does), or issue them here with --here.",
    )
    issue.add_argument("slug", metavar="SLUG", help="the competition")
    issue.add_argument("--here", action="store_true", help="issue them in this process (a progress bar) "
                                                           "instead of queueing the worker's job")
    organiser.add_actor(issue)
    organiser.add_json(issue)
    issue.set_defaults(func=run_issue)
    revoke = commands.add_parser(
        "revoke", help="revoke a certificate, saying why",
        description="Revoke a certificate; its check page and `certificates verify` then give the reason.",
    )
    revoke.add_argument("uuid", metavar="UUID", help="the certificate number")
    revoke.add_argument("--reason", required=True, help="why it is revoked (shown on its check page)")
    organiser.add_actor(revoke)
    organiser.add_json(revoke)
    revoke.set_defaults(func=run_revoke)
    parser.set_defaults(func=lambda args: parser.print_help() or EXIT_USAGE)


def run_verify(args: argparse.Namespace) -> int:
    import uuid

    try:
        key = uuid.UUID(args.uuid.strip())
    except ValueError:
        raise CliError(f"{args.uuid!r} is not a certificate number (expected a UUID)", EXIT_USAGE) from None
    pdf_sha256 = None
    if args.pdf:
        try:
            pdf_sha256 = hashlib.sha256(Path(args.pdf).read_bytes()).hexdigest()
        except OSError as exc:
            raise CliError(f"cannot read {args.pdf}: {exc.strerror or exc}") from exc

    from aigc_contest.cli.web import setup_django

    setup_django()
    from aigc_contest.web.certificates.services import verify

    result = verify(key)
    data = result.as_dict()
    problem = {
        "unknown": f"no certificate {key} is known to this site",
        "revoked": f"certificate {key} was revoked on {(result.revoked_at.date().isoformat() if result.revoked_at else '?')}",
    }.get(result.status)
    if pdf_sha256 is not None:
        data["pdf_matches"] = result.status != "unknown" and pdf_sha256 == result.sha256
        if problem is None and not data["pdf_matches"]:
            problem = f"the PDF's SHA-256 {pdf_sha256} differs from the issued certificate's {result.sha256}"
    if args.json:
        data["message"] = problem or "valid"
        print_json(data)
        if problem is not None:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_OK if problem is None else EXIT_ERROR
    if problem is not None:
        raise CliError(problem, EXIT_ERROR)
    kind = f"award ({result.award_kind})" if result.kind == "award" else "participation"
    assert result.issued_at is not None  # every known certificate has an issue date
    print(f"valid: {kind} certificate, {result.competition}, issued {result.issued_at.date().isoformat()}"
          f" to {result.holder_initial}; PDF SHA-256 {result.sha256}")
    return EXIT_OK


MANAGE = "certificates.manage_certificates"


def run_issue(args: argparse.Namespace) -> int:
    from aigc_contest.cli import organiser

    organiser.setup()
    from aigc_contest.web.certificates import services
    from aigc_contest.web.core.errors import ServiceError

    user = organiser.actor(args.actor)
    competition = organiser.competition(args.slug, user, MANAGE)
    try:
        if not args.here:
            job = services.start_issue_all(user, competition)
            data: dict[str, object] = {"job": job.pk, "status": job.status}
            message = f"queued job {job.pk} ({job.status}): a worker issues {competition.slug}'s certificates"
        else:
            from aigc_contest.cli.common import progress_bar
            from aigc_contest.web.core.errors import require

            require(user, MANAGE, competition)
            with progress_bar("issuing certificates", None) as advance:
                report = services.issue_all(competition, progress=lambda done, total: advance(1))
            data = {"participation": report.participation, "awards": report.awards, "already": report.already}
            message = (f"issued {report.participation} participation and {report.awards} award certificates "
                       f"({report.already} issued already)")
    except ServiceError as exc:
        raise organiser.refusal(exc) from exc
    if args.json:
        print_json(data)
    else:
        print(message)
    return EXIT_OK


def run_revoke(args: argparse.Namespace) -> int:
    import uuid

    from aigc_contest.cli import organiser

    try:
        key = uuid.UUID(args.uuid.strip())
    except ValueError:
        raise CliError(f"{args.uuid!r} is not a certificate number (expected a UUID)", EXIT_USAGE) from None
    organiser.setup()
    from aigc_contest.web.certificates import services
    from aigc_contest.web.certificates.models import Certificate
    from aigc_contest.web.core.errors import ServiceError

    user = organiser.actor(args.actor)
    certificate = Certificate.objects.filter(uuid=key).first()
    if certificate is None:
        raise CliError(f"no certificate {key} is known to this site")
    if not user.has_perm(MANAGE, certificate):
        raise CliError(f"{user.username} may not revoke certificates of {certificate.competition.slug!r}")
    try:
        services.revoke(user, certificate, args.reason)
    except ServiceError as exc:
        raise organiser.refusal(exc) from exc
    if args.json:
        print_json(services.verify(key).as_dict())
    else:
        print(f"revoked certificate {key}: {certificate.revoke_reason}")
    return EXIT_OK
