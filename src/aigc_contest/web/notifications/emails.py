"""Emails the platform sends, through Django's email backends (console by default, SMTP by settings).

Students often have no email address (minimal personal data): their messages go to the supervising teacher.

Subjects and plain-text bodies are rendered without HTML escaping: a title with `<`, `"`, `&` or `'` arrives
as typed, not as `&lt;`. Only the `.txt` templates are rendered so; HTML pages keep Django's autoescaping.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.template import Context, engines
from django.utils import translation

from aigc_contest.web.accounts.models import User
from aigc_contest.web.notifications.jobs import enqueue_email


def _recipients(users: Iterable[User | None]) -> list[str]:
    return sorted({u.email for u in users if u is not None and u.email})


def render_plain_text(name: str, context: dict[str, Any]) -> str:
    """A `.txt` template rendered as plain text: the same templates and tags, no HTML escaping."""
    if not name.endswith(".txt"):
        raise ValueError(f"{name} is not a plain-text template")
    template = engines["django"].engine.get_template(name)  # type: ignore[attr-defined]
    return template.render(Context(context, autoescape=False))


def render_message(template: str, context: dict, language: str = "en") -> tuple[str, str]:
    with translation.override(language):
        subject = render_plain_text(f"emails/{template}_subject.txt", context)
        body = render_plain_text(f"emails/{template}.txt", context | {"site_url": settings.SITE_URL})
    return " ".join(subject.split()), body  # a header is one line, whatever a title holds


def _send(template: str, context: dict, recipients: list[str], language: str = "en") -> int:
    if not recipients:
        return 0
    subject, body = render_message(template, context, language)
    return send_mail(subject, body, None, recipients)


def account_created(teacher: User, students: list[User]) -> int:
    """The teacher's note of the usernames created; passwords are never emailed (they were shown once on the
    page, and mailboxes keep what they get)."""
    return _send("accounts_created", {"teacher": teacher, "students": students}, _recipients([teacher]))


def submission_receipt(version) -> int:  # type: ignore[no-untyped-def]
    team = version.entry.team
    people = [*team.members.all(), team.supervising_teacher]
    return _send("submission_receipt", {"version": version, "entry": version.entry, "team": team}, _recipients(people))


def queue_submission_receipt(actor: User, version, members: Iterable[User], teacher_email: str | None = ""):  # type: ignore[no-untyped-def]
    """The receipt as an `email` job in the submission's own transaction (sent by the worker, never lost
    with a crash after the commit). `members` and the supervising teacher's email address are what the
    submission already loaded."""
    entry = version.entry
    team = entry.team
    recipients = sorted(set(_recipients(members)) | ({teacher_email} if teacher_email else set()))
    if not recipients:
        return None
    subject, body = render_message("submission_receipt", {"version": version, "entry": entry, "team": team})
    return enqueue_email(actor, recipients=recipients, subject=subject, body=body)


def deadline_reminder(competition, entries) -> int:  # type: ignore[no-untyped-def]
    sent = 0
    for entry in entries:
        team = entry.team
        people = [*team.members.all(), team.supervising_teacher]
        sent += _send("deadline_reminder", {"competition": competition, "entry": entry}, _recipients(people))
    return sent


def results_published(competition, users: Iterable[User]) -> int:  # type: ignore[no-untyped-def]
    return _send("results_published", {"competition": competition}, _recipients(users))


def queue_results_published(owner: User, competition: Any, users: Iterable[User | None],
                            entries: list[dict[str, Any]]) -> Any:
    """One team's results e-mail as an `email` job in the caller's transaction: to the team's members and
    its teacher, with each of the team's entries (`title`, and `rank` and `award` where it has them).
    Returns the job, or None when nobody in the team has an e-mail address."""
    recipients = _recipients(users)
    if not recipients:
        return None
    subject, body = render_message("results_published", {"competition": competition, "entries": entries})
    return enqueue_email(owner, recipients=recipients, subject=subject, body=body)


def queue_judge_reminder(owner: User, round_: Any, judge: User, *, left: int, on_the_day: bool) -> Any:
    """A judge's reminder of a round's due date, with how many sheets are left, as an `email` job.
    None when the judge has no e-mail address."""
    recipients = _recipients([judge])
    if not recipients:
        return None
    from aigc_contest.web.core.zoned import text_in_zone

    competition = round_.competition
    context = {"competition": competition, "round": round_, "judge": judge, "left": left, "on_the_day": on_the_day,
               "due": text_in_zone(round_.due_at, competition, with_utc=True)}
    subject, body = render_message("judge_reminder", context, getattr(judge, "language", "") or "en")
    return enqueue_email(owner, recipients=recipients, subject=subject, body=body)


def queue_teacher_message(owner: User, competition: Any, teacher: User, *, subject: str, body: str) -> Any:
    """An organiser's message to one teacher, as an `email` job (one per teacher: nobody sees the other
    schools' addresses). None when the teacher has no e-mail address."""
    recipients = _recipients([teacher])
    if not recipients:
        return None
    rendered_subject, rendered_body = render_message(
        "teacher_message", {"competition": competition, "subject": subject, "body": body}
    )
    return enqueue_email(owner, recipients=recipients, subject=rendered_subject, body=rendered_body)


def queue_invitation(actor: User, invitation: Any, path: str) -> Any:
    """The invitation link as an `email` job, in the transaction that made the invitation."""
    context = {"invitation": invitation, "competition": invitation.competition, "school": invitation.school,
               "inviter": actor, "path": path}
    subject, body = render_message("invitation", context, getattr(actor, "language", "") or "en")
    return enqueue_email(actor, recipients=[invitation.email], subject=subject, body=body)
