"""Who may do what, as django-rules predicates (one place for every permission of the platform).

Views and the API ask `user.has_perm("app.action", obj)`; nothing checks roles by hand. Superusers are
asked the same rules (`User.has_perm`): being a superuser opens the back office, not the participants' work.
"""

from __future__ import annotations

from typing import Any

import rules


@rules.predicate
def is_organiser(user: Any) -> bool:
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


def _team_of(obj: Any) -> Any:
    return getattr(obj, "team", obj)


def _has_member(team: Any, user: Any) -> bool:
    # A team loaded with prefetch_related("members") answers from memory: a submission asks two
    # permissions of the same team, and asking the database each time costs a query per question.
    prefetched = getattr(team, "_prefetched_objects_cache", {}).get("members")
    if prefetched is not None:
        return any(member.pk == user.pk for member in prefetched)
    return team.members.filter(pk=user.pk).exists()


@rules.predicate
def is_team_member(user: Any, obj: Any) -> bool:
    team = _team_of(obj)
    return bool(team is not None and user.is_authenticated and _has_member(team, user))


@rules.predicate
def is_team_teacher(user: Any, obj: Any) -> bool:
    """The supervising teacher, or any teacher of the team's school."""
    team = _team_of(obj)
    if team is None or not is_teacher(user):
        return False
    return bool(team.supervising_teacher_id == user.pk or (team.school_id and team.school_id == user.school_id))


@rules.predicate
def competition_lets_teachers_help(user: Any, obj: Any) -> bool:
    """The competition of the team (or entry, or work) lets its teachers change and submit drafts."""
    if obj is None:
        return False
    category = getattr(obj, "category", None)  # an entry or team: its category is usually loaded with the competition
    competition = category.competition if category is not None else getattr(_team_of(obj), "competition", None)
    return bool(competition is not None and competition.teachers_may_help)


# Teachers see their students' work; they change it only where the competition lets them help.
is_helping_teacher = is_team_teacher & competition_lets_teachers_help

# Schools and students
rules.add_perm("accounts.manage_roster", is_organiser | is_teacher_at_school)
rules.add_perm("accounts.view_student", is_self | is_teacher_of_student | is_organiser)
rules.add_perm("accounts.record_consent", is_teacher_of_student | is_organiser)
rules.add_perm("accounts.reset_password", is_teacher_of_student | is_organiser)
# Unlock a sign-in locked after repeated wrong passwords: the student's teachers; organisers, any login name.
rules.add_perm("accounts.unlock_login", is_teacher_of_student | is_organiser)

# Competitions (organisers set up; anyone reads a public competition through the selectors)
rules.add_perm("contests.manage_competition", is_organiser)
rules.add_perm("contests.export_participants", is_organiser)

# Teams and entries
rules.add_perm("entries.create_team", is_teacher | is_adult_participant | is_organiser)
rules.add_perm("entries.view_team", is_team_member | is_team_teacher | is_organiser)
rules.add_perm("entries.change_team", is_team_teacher | is_organiser | (is_adult_participant & is_team_member))
rules.add_perm("entries.view_entry", is_team_member | is_team_teacher | is_organiser)
rules.add_perm("entries.edit_entry", is_team_member | is_helping_teacher)
rules.add_perm("entries.submit_entry", is_team_member | is_helping_teacher)
rules.add_perm("entries.withdraw_entry", is_team_member | is_helping_teacher)


# Judging: organisers run it; a judge works only on their own assignments.
@rules.predicate
def is_assigned_judge(user: Any, assignment: Any) -> bool:
    return bool(assignment is not None and is_judge(user) and assignment.judge_id == user.pk)


rules.add_perm("judging.manage_judging", is_organiser)
rules.add_perm("judging.score_assignment", is_assigned_judge)


# Certificates: the holder, the holder's teachers and organisers download; organisers issue and revoke.
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


rules.add_perm("certificates.download_certificate", is_certificate_holder | is_certificate_teacher | is_organiser)
rules.add_perm("certificates.manage_certificates", is_organiser)


# Image studio: the entry's team members and teachers, on image entries only.
@rules.predicate
def is_image_entry(user: Any, entry: Any) -> bool:
    return bool(entry is not None and getattr(entry, "work_type", None) == "image")


rules.add_perm("imagestudio.create_images", (is_team_member | is_helping_teacher) & is_image_entry)


# Moderation: teachers review their own school's safety events and settings; organisers see everything.
@rules.predicate
def is_teacher_of_event_school(user: Any, event: Any) -> bool:
    return bool(event is not None and event.school_id and is_teacher(user) and user.school_id == event.school_id)


rules.add_perm("moderation.view_queue", is_teacher | is_organiser)
rules.add_perm("moderation.view_school_events", is_teacher)
rules.add_perm("moderation.view_all_events", is_organiser)
@rules.predicate
def is_private_to_school(user: Any, event: Any) -> bool:
    """A school's self-harm events are for that school's teachers only."""
    return bool(event is not None and event.school_id and event.category == "self_harm")


rules.add_perm("moderation.review_event", is_teacher_of_event_school | (is_organiser & ~is_private_to_school))
rules.add_perm("moderation.edit_school_policy", is_teacher_at_school | is_organiser)
