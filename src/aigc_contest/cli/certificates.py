"""`aigc-contest certificates verify UUID`: is this certificate genuine and still valid?

Exit codes: 0 valid · 1 unknown or revoked (the reason printed) · 2 the argument is not a certificate number.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path
from typing import Any

from aigc_contest.cli.common import EXIT_ERROR, EXIT_OK, EXIT_USAGE, CliError, print_json


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("certificates", help="check certificates")
    commands = parser.add_subparsers(dest="certificates_command", metavar="COMMAND")
    verify = commands.add_parser(
        "verify", help="say whether a certificate is valid",
        description="Look a certificate up by the number printed on it (a UUID) in this site's database.",
    )
    verify.add_argument("uuid", metavar="UUID", help="the certificate number, e.g. 0f8c…-…")
    verify.add_argument("--pdf", metavar="FILE", help="also check that this PDF is the one issued (SHA-256)")
    verify.add_argument("--json", action="store_true", help="print the result as JSON")
    verify.set_defaults(func=run_verify)
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
