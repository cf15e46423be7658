"""Writes for who runs a competition: roles, invitations by e-mail link, schools asking to take part.

Every grant, withdrawal and decision is written to the audit log (`accounts.ChangeRecord`, scoped to the
competition) in the same transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from aigc_contest.web.accounts.models import Role, School, User
from aigc_contest.web.accounts.services import USERNAME_RE, record_change, save_new_account
from aigc_contest.web.contests.models import (
    Competition,
    CompetitionRole,
    CompetitionRoleKind,
    Invitation,
    InvitationRole,
    JoinRequest,
)
from aigc_contest.web.contests.signals import invitation_sent
from aigc_contest.web.core.errors import PermissionDenied, ServiceError, require

INVITATION_DAYS = 14
# Roles an organiser may hand out; owners hand out every role.
ORGANISER_MAY_GRANT = frozenset({CompetitionRoleKind.VIEWER, CompetitionRoleKind.JUDGE})


def _may_grant(actor: User, competition: Competition, role: str) -> bool:
    if actor.has_perm("contests.manage_roles", competition):
        return True
    return role in ORGANISER_MAY_GRANT and actor.has_perm("contests.invite_people", competition)


def _check_role(role: str) -> None:
    if role not in CompetitionRoleKind.values:
        raise ServiceError(_("Unknown role."), "role")


# ---------------------------------------------------------------- roles


def grant_role(
    actor: User | None, competition: Competition, user: User, role: str, *, checked: bool = True
) -> CompetitionRole:
    """Give `user` the `role` on `competition` (nothing changes if they hold it already).

    `checked=False` skips the permission check for grants the platform makes itself: the creator of a new
    competition becoming its owner, an accepted invitation (checked when it was sent), the judge an organiser
    puts on a panel."""
    _check_role(role)
    if checked and (actor is None or not _may_grant(actor, competition, role)):
        raise PermissionDenied()
    if user.is_student:
        raise ServiceError(_("Students cannot run or judge a competition."), "student")
    with transaction.atomic():
        held, created = CompetitionRole.objects.get_or_create(
            competition=competition, user=user, role=role, defaults={"granted_by": actor}
        )
        if created:
            record_change(
                actor,
                held,
                "role granted",
                {"role": (None, role), "user": (None, user.username)},
                competition=competition,
            )
    user.forget_competition_roles()
    return held


def revoke_role(actor: User, competition: Competition, user: User, role: str) -> bool:
    """Take the role back; False when it was not held. A competition always keeps one owner."""
    _check_role(role)
    if not _may_grant(actor, competition, role):
        raise PermissionDenied()
    with transaction.atomic():
        held = (
            CompetitionRole.objects.select_for_update()
            .filter(competition=competition, user=user, role=role)
            .first()
        )
        if held is None:
            return False
        if (
            role == CompetitionRoleKind.OWNER
            and not CompetitionRole.objects.filter(competition=competition, role=CompetitionRoleKind.OWNER)
            .exclude(pk=held.pk)
            .exists()
        ):
            raise ServiceError(
                _("A competition keeps at least one owner: make someone else owner first."), "last_owner"
            )
        record_change(
            actor,
            held,
            "role revoked",
            {"role": (role, None), "user": (user.username, None)},
            competition=competition,
        )
        held.delete()
    user.forget_competition_roles()
    return True


# ---------------------------------------------------------------- invitations


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_path(token: str) -> str:
    return reverse("invitation-accept", args=[token])


def invite(
    actor: User,
    *,
    email: str,
    role: str,
    competition: Competition | None = None,
    school: School | None = None,
    now: datetime | None = None,
) -> tuple[Invitation, str]:
    """Invite someone by e-mail: to a role on `competition`, or (role "teacher") to teach at `school`.

    Returns the invitation and the secret link's path (the link is e-mailed; only its hash is kept)."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ServiceError(_("Give a valid e-mail address."), "email") from exc
    if role == InvitationRole.TEACHER:
        if school is None or competition is not None:
            raise ServiceError(_("A teacher is invited to a school."), "school")
        require(actor, "contests.invite_teacher", school)
    else:
        _check_role(role)
        if competition is None or school is not None:
            raise ServiceError(_("Say which competition the invitation is for."), "competition")
        if not _may_grant(actor, competition, role):
            raise PermissionDenied()
    now = now or timezone.now()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        invitation = Invitation.objects.create(
            email=email,
            role=role,
            competition=competition,
            school=school,
            token_hash=_hash(token),
            invited_by=actor,
            expires_at=now + timedelta(days=INVITATION_DAYS),
        )
        record_change(
            actor,
            invitation,
            "invitation sent",
            {"email": (None, email), "role": (None, role)},
            competition=competition,
        )
        path = invitation_path(token)
        invitation_sent.send(sender=Invitation, invitation=invitation, path=path, actor=actor)
    return invitation, path


def invitation_for(token: str) -> Invitation | None:
    """The invitation a link names, whatever its state (the page says why an old one no longer works)."""
    if not token or len(token) > 100:
        return None
    return (
        Invitation.objects.select_related("competition", "school", "invited_by")
        .filter(token_hash=_hash(token))
        .first()
    )


def why_closed(invitation: Invitation | None, now: datetime | None = None) -> str | None:
    """None while the invitation may be accepted; otherwise the reason, in words for the page."""
    if invitation is None:
        return _("This invitation link is not valid. Ask whoever invited you for a new one.")
    if invitation.accepted_at is not None:
        return _("This invitation was accepted already. Sign in with the account it was accepted with.")
    if invitation.withdrawn_at is not None:
        return _("This invitation was withdrawn.")
    if (now or timezone.now()) >= invitation.expires_at:
        return _("This invitation has expired. Ask whoever invited you for a new one.")
    return None


def withdraw_invitation(actor: User, invitation: Invitation, now: datetime | None = None) -> Invitation:
    if invitation.competition is not None:
        if not _may_grant(actor, invitation.competition, invitation.role):
            raise PermissionDenied()
    else:
        require(actor, "contests.invite_teacher", invitation.school)
    if invitation.accepted_at is None and invitation.withdrawn_at is None:
        invitation.withdrawn_at = now or timezone.now()
        invitation.save(update_fields=["withdrawn_at"])
        record_change(
            actor,
            invitation,
            "invitation withdrawn",
            {"email": (invitation.email, None)},
            competition=invitation.competition,
        )
    return invitation


def _new_account(invitation: Invitation, *, username: str, display_name: str, password: str) -> User:
    username = (username or "").strip().lower()
    if not USERNAME_RE.match(username):
        raise ServiceError(
            _("A login name is 3–40 letters, digits, dots, dashes or underscores."), "username"
        )
    if User.objects.filter(username=username).exists():
        raise ServiceError(_("That login name is taken; choose another."), "username")
    teacher = invitation.role == InvitationRole.TEACHER
    role = Role.TEACHER if teacher else Role.JUDGE if invitation.role == InvitationRole.JUDGE else Role.STAFF
    user = User(
        username=username,
        email=invitation.email,
        role=role,
        is_adult=True,
        display_name=(display_name or "").strip()[:80] or username,
        school=invitation.school if teacher else None,
    )
    save_new_account(user, password)
    return user


def accept_invitation(
    invitation: Invitation,
    user: User | None = None,
    *,
    username: str = "",
    display_name: str = "",
    password: str = "",
    now: datetime | None = None,
) -> User:
    """Accept with the signed-in `user`, or create the account from the form's fields. An invitation opens
    once: a second use, a withdrawn or an expired one is refused."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            Invitation.objects.select_for_update(of=("self",))  # PostgreSQL locks no nullable outer join
            .select_related("competition", "school")
            .get(pk=invitation.pk)
        )
        reason = why_closed(locked, now)
        if reason:
            raise ServiceError(reason, "closed")
        if user is not None and user.is_authenticated:
            if user.is_student:
                raise ServiceError(
                    _("A student account cannot accept this invitation: sign out and create a new account."),
                    "student",
                )
            if locked.role == InvitationRole.TEACHER and (
                user.role != Role.TEACHER or (user.school_id and user.school_id != locked.school_id)
            ):
                raise ServiceError(
                    _("Only a teacher's account without another school can join this school."), "school"
                )
        else:
            user = _new_account(locked, username=username, display_name=display_name, password=password)
        if locked.role == InvitationRole.TEACHER:
            if user.school_id != locked.school_id:
                before = user.school_id
                user.school = locked.school
                user.save(update_fields=["school"])
                record_change(
                    user, user, "joined school by invitation", {"school": (before, locked.school.code if locked.school else None)}
                )
        else:
            assert locked.competition is not None
            grant_role(locked.invited_by, locked.competition, user, locked.role, checked=False)
        locked.accepted_at = now
        locked.accepted_by = user
        locked.save(update_fields=["accepted_at", "accepted_by"])
        record_change(
            user,
            locked,
            "invitation accepted",
            {"email": (None, locked.email)},
            competition=locked.competition,
        )
    return user


# ---------------------------------------------------------------- schools asking to take part


def request_to_join(actor: User, competition: Competition, school: School, message: str = "") -> JoinRequest:
    require(actor, "contests.request_to_join", school)
    with transaction.atomic():
        join, created = JoinRequest.objects.select_for_update().get_or_create(
            competition=competition,
            school=school,
            defaults={"requested_by": actor, "message": (message or "").strip()[:500]},
        )
        if not created:
            if join.status != JoinRequest.Status.DECLINED:
                return join  # waiting or approved already: asking again changes nothing
            join.status, join.requested_by = JoinRequest.Status.PENDING, actor
            join.message, join.decided_by, join.decided_at, join.reason = (
                (message or "").strip()[:500],
                None,
                None,
                "",
            )
            join.save()
        record_change(actor, join, "asked to join", {"school": (None, school.code)}, competition=competition)
    return join


def decide_join_request(
    actor: User, join: JoinRequest, *, approve: bool, reason: str = "", now: datetime | None = None
) -> JoinRequest:
    require(actor, "contests.decide_join_requests", join.competition)
    status = JoinRequest.Status.APPROVED if approve else JoinRequest.Status.DECLINED
    with transaction.atomic():
        before = join.status
        join.status, join.decided_by, join.decided_at = status, actor, now or timezone.now()
        join.reason = (reason or "").strip()[:300]
        join.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        record_change(
            actor,
            join,
            "join request approved" if approve else "join request declined",
            {"status": (before, status), "school": (None, join.school.code)},
            competition=join.competition,
        )
    return join


def make_creator_owner(creator: Any, competition: Competition) -> CompetitionRole | None:
    """The person who created a competition owns it (set-up pages, the back office, the command line)."""
    if creator is None or not getattr(creator, "pk", None) or creator.is_student:
        return None
    return grant_role(creator, competition, creator, CompetitionRoleKind.OWNER, checked=False)
