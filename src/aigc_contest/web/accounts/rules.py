"""Who may do what: the roles every app's rules are made of, and the accounts app's own permissions.

Each app keeps its permissions in its own `rules.py` (django-rules' autodiscovery loads them all when
Django starts). Views and the API ask `user.has_perm("app.action", obj)`; nothing checks roles by hand.
Superusers are asked the same rules (`User.has_perm`): being a superuser opens the back office, not the
participants' work.
"""

from __future__ import annotations

from typing import Any

import rules


@rules.predicate
def is_organiser(user: Any) -> bool:
    """A platform organiser (the competition office): creates competitions and looks after schools, accounts
    and safety across the platform. Power over a competition comes from a role on it (contests/rules.py)."""
    return bool(user.is_authenticated and user.role == "organiser")


@rules.predicate
def is_teacher(user: Any) -> bool:
    return bool(user.is_authenticated and user.role == "teacher" and user.school_id)


@rules.predicate
def is_student(user: Any) -> bool:
    return bool(user.is_authenticated and user.role in {"student", "participant"})


@rules.predicate
def is_adult_participant(user: Any) -> bool:
    return bool(user.is_authenticated and user.role == "participant")


@rules.predicate
def is_judge(user: Any) -> bool:
    return bool(user.is_authenticated and user.role == "judge")


@rules.predicate
def is_teacher_at_school(user: Any, school: Any) -> bool:
    return bool(school is not None and is_teacher(user) and user.school_id == school.pk)


@rules.predicate
def is_teacher_of_student(user: Any, student: Any) -> bool:
    return bool(
        student is not None
        and is_teacher(user)
        and student.role in {"student", "participant"}
        and student.school_id == user.school_id
    )


@rules.predicate
def is_self(user: Any, other: Any) -> bool:
    return bool(other is not None and user.is_authenticated and user.pk == other.pk)


# Schools and students
rules.add_perm("accounts.manage_roster", is_organiser | is_teacher_at_school)
rules.add_perm("accounts.view_student", is_self | is_teacher_of_student | is_organiser)
rules.add_perm("accounts.record_consent", is_teacher_of_student | is_organiser)
rules.add_perm("accounts.reset_password", is_teacher_of_student | is_organiser)
# Unlock a sign-in locked after repeated wrong passwords: the student's teachers; organisers, any login name.
rules.add_perm("accounts.unlock_login", is_teacher_of_student | is_organiser)


@rules.predicate
def is_competition_team_member(user: Any) -> bool:
    """Someone invited to run a competition (their powers come from their roles on it)."""
    return bool(user.is_authenticated and user.role == "staff")


# Personal API tokens: adults (organisers, competition teams, teachers, judges, adult participants), never
# school students.
rules.add_perm(
    "accounts.manage_api_tokens",
    is_organiser | is_competition_team_member | is_teacher | is_judge | is_adult_participant,
)
