"""Teams outside schools: adults and international teams sign up on their own, form a team in a category open
to everyone, and bring their members in by a link.

Minimal personal data: a login name, the name others see, an e-mail address, a password, and, if they wish,
a country or region. Every account made here is an adult's (a declaration that they are 18 or over); children
take part through their school, whose teacher records their guardian's consent. The team rules themselves
(size, one team per person per category, the category's eligibility) are `services.create_team`'s. A link
is kept as the hash of its secret, opens once, expires, and can be withdrawn, like the competitions'
invitations (`contests.Invitation`, which names a competition role or a school and cannot point at a team).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from aigc_contest.web.accounts.models import Role, User
from aigc_contest.web.accounts.services import USERNAME_RE, record_change, save_new_account
from aigc_contest.web.contests.models import Category
from aigc_contest.web.core.errors import ServiceError, require
from aigc_contest.web.entries.models import Team, TeamInvitation
from aigc_contest.web.entries.services import create_team, school_only_text

LINK_DAYS = 14


def admits_open_teams(category: Category) -> bool:
    """Whether teams without a school may enter the category (the organiser ticked "open")."""
    return category.open_to_everyone


def open_categories(now: datetime | None = None) -> QuerySet[Category]:
    """Categories a team without a school can enter now: open to everyone, registration open, deadline ahead."""
    now = now or timezone.now()
    found = Category.objects.filter(
        competition__registration_opens_at__lte=now, competition__submission_deadline__gt=now
    ).select_related("competition")
    return found.filter(pk__in=[c.pk for c in found if admits_open_teams(c)])


def _check_category(category: Category, now: datetime) -> None:
    if not admits_open_teams(category):
        raise ServiceError(school_only_text(category), "category")
    competition = category.competition
    if not (competition.registration_opens_at <= now < competition.submission_deadline):
        raise ServiceError(_("Teams cannot be formed for this competition now."), "category")


def _new_adult(*, username: str, display_name: str, email: str, password: str, region: str,
               adult: bool) -> User:
    """A participant account outside any school; the caller holds the transaction."""
    if not adult:
        raise ServiceError(
            _("Signing up here is for people aged 18 or over. Children take part through their school."), "adult"
        )
    username = (username or "").strip().lower()
    if not USERNAME_RE.match(username):
        raise ServiceError(_("A login name is 3–40 letters, digits, dots, dashes or underscores."), "username")
    if User.objects.filter(username=username).exists():
        raise ServiceError(_("That login name is taken; choose another."), "username")
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ServiceError(_("Give a valid e-mail address."), "email") from exc
    if User.objects.filter(email__iexact=email).exists():
        raise ServiceError(_("An account with this e-mail address exists already: sign in with it."), "email")
    display_name = (display_name or "").strip()[:80]
    if not display_name:
        raise ServiceError(_("Give the name others will see (a nickname is fine)."), "display_name")
    user = User(username=username, email=email, display_name=display_name, role=Role.PARTICIPANT, school=None,
                is_adult=True, region=(region or "").strip()[:60])
    save_new_account(user, password)
    record_change(user, user, "signed up", {"declared 18 or over": (None, True)})
    return user


def sign_up(*, username: str, display_name: str, email: str, password: str, region: str = "", adult: bool,
            category: Category, team_name: str, now: datetime | None = None) -> tuple[User, Team]:
    """A team's captain: their account and their team, both or neither."""
    now = now or timezone.now()
    _check_category(category, now)
    with transaction.atomic():
        user = _new_adult(username=username, display_name=display_name, email=email, password=password,
                          region=region, adult=adult)
        team = create_team(user, category, name=team_name, members=[user], forming=True)
    return user, team


def form_team(actor: User, category: Category, *, name: str, now: datetime | None = None) -> Team:
    """A signed-in adult outside any school forms another team (in another open category)."""
    if actor.role != Role.PARTICIPANT or actor.school_id is not None:
        raise ServiceError(_("Only adults signed up outside a school form teams here."), "account")
    _check_category(category, now or timezone.now())
    return create_team(actor, category, name=name, members=[actor], forming=True)


# ---------------------------------------------------------------- links to join a team


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _room_left(team: Team) -> int:
    return team.category.max_team_size - team.members.count()


def invite(actor: User, team: Team, now: datetime | None = None) -> tuple[TeamInvitation, str]:
    """A link for one more member (shown once to the member who made it, who passes it on)."""
    require(actor, "entries.invite_members", team)
    if team.school_id is not None:
        raise ServiceError(_("A school's teams are formed by their teacher."), "school")
    if _room_left(team) <= 0:
        raise ServiceError(_("The team is full: a team in this category has at most %(max)d members.")
                           % {"max": team.category.max_team_size}, "full")
    now = now or timezone.now()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        invitation = TeamInvitation.objects.create(team=team, token_hash=_hash(token), created_by=actor,
                                                   expires_at=now + timedelta(days=LINK_DAYS))
        record_change(actor, invitation, "team link made", {"team": (None, team.name)},
                      competition=team.competition_id)
    return invitation, reverse("team-join", args=[token])


def invitation_for(token: str) -> TeamInvitation | None:
    if not token or len(token) > 100:
        return None
    return (TeamInvitation.objects.select_related("team__category__competition", "created_by")
            .filter(token_hash=_hash(token)).first())


def why_closed(invitation: TeamInvitation | None, now: datetime | None = None) -> str | None:
    """None while the link may be used; otherwise why not, in words for the page."""
    if invitation is None:
        return _("This link is not valid. Ask the team for a new one.")
    if invitation.accepted_at is not None:
        return _("This link was used already. Ask the team for a new one.")
    if invitation.withdrawn_at is not None:
        return _("The team withdrew this link.")
    now = now or timezone.now()
    if now >= invitation.expires_at:
        return _("This link has expired. Ask the team for a new one.")
    if now >= invitation.team.category.competition.submission_deadline:
        return _("The competition's deadline has passed: teams cannot take new members.")
    return None


def withdraw(actor: User, invitation: TeamInvitation, now: datetime | None = None) -> TeamInvitation:
    require(actor, "entries.invite_members", invitation.team)
    if invitation.accepted_at is None and invitation.withdrawn_at is None:
        invitation.withdrawn_at = now or timezone.now()
        invitation.save(update_fields=["withdrawn_at"])
        record_change(actor, invitation, "team link withdrawn", competition=invitation.team.competition_id)
    return invitation


def accept(invitation: TeamInvitation, user: User | None = None, *, username: str = "", display_name: str = "",
           email: str = "", password: str = "", region: str = "", adult: bool = False,
           now: datetime | None = None) -> User:
    """Join the team with the signed-in `user`, or with a new account from the form's fields. A link opens
    once; the team's rules (size, one team per person per category) are checked again here."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = (TeamInvitation.objects.select_for_update(of=("self",))
                  .select_related("team__category__competition").get(pk=invitation.pk))
        reason = why_closed(locked, now)
        if reason:
            raise ServiceError(reason, "closed")
        team = Team.objects.select_for_update().select_related("category").get(pk=locked.team_id)
        if user is not None and user.is_authenticated:
            if user.role != Role.PARTICIPANT or user.school_id is not None:
                raise ServiceError(_("Only an adult's account outside any school can join this team. Sign out "
                                     "and create one below."), "account")
        else:
            user = _new_adult(username=username, display_name=display_name, email=email, password=password,
                              region=region, adult=adult)
        if team.members.filter(pk=user.pk).exists():
            raise ServiceError(_("You are in this team already."), "member")
        if _room_left(team) <= 0:
            raise ServiceError(_("The team is full: a team in this category has at most %(max)d members.")
                               % {"max": team.category.max_team_size}, "full")
        if Team.objects.filter(category=team.category, members=user).exists():
            raise ServiceError(_("You are in another team in this category already."), "member")
        team.members.add(user)
        locked.accepted_at, locked.accepted_by = now, user
        locked.save(update_fields=["accepted_at", "accepted_by"])
        record_change(user, team, "joined team by link", {"members": (None, user.username)},
                      competition=team.competition_id)
    return user
