"""Messages sent when something happens in an app below this one (which does not import it)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from aigc_contest.web.accounts.models import User
from aigc_contest.web.accounts.signals import students_created
from aigc_contest.web.contests.signals import invitation_sent
from aigc_contest.web.notifications import emails


@receiver(students_created, dispatch_uid="notifications.accounts_created")
def tell_teacher_of_new_students(sender: Any, *, teacher: User, students: list[User], **kwargs: Any) -> None:
    emails.account_created(teacher, students)


@receiver(invitation_sent, dispatch_uid="notifications.invitation_sent")
def send_invitation(sender: Any, *, invitation: Any, path: str, actor: User, **kwargs: Any) -> None:
    emails.queue_invitation(actor, invitation, path)
