"""Certificates: the holder, the holder's teachers and the competition's organisers and viewers download; its
organisers issue and revoke."""

from __future__ import annotations

from typing import Any

import rules

from aigc_contest.web.accounts.rules import is_teacher, is_teacher_of_student
from aigc_contest.web.contests.rules import is_competition_organiser, is_competition_viewer
from aigc_contest.web.entries.rules import is_team_teacher


@rules.predicate
def is_certificate_holder(user: Any, certificate: Any) -> bool:
    return bool(certificate is not None and user.is_authenticated and certificate.user_id == user.pk)


@rules.predicate
def is_certificate_teacher(user: Any, certificate: Any) -> bool:
    if certificate is None or not is_teacher(user):
        return False
    if certificate.team_id and is_team_teacher(user, certificate.team):
        return True
    return bool(is_teacher_of_student(user, certificate.user))


rules.add_perm(
    "certificates.download_certificate", is_certificate_holder | is_certificate_teacher | is_competition_viewer
)
rules.add_perm("certificates.manage_certificates", is_competition_organiser)


@rules.predicate
def is_teacher_of_archive_school(user: Any, archive: Any) -> bool:
    """A teacher of the archive's school (the ZIP of its certificates is theirs to download)."""
    return bool(archive is not None and is_teacher(user) and user.school_id == archive.school_id)


# A school's ZIP (asked with the SchoolArchive): its teachers and the competition's organisers.
rules.add_perm("certificates.download_school_archive", is_teacher_of_archive_school | is_competition_organiser)
