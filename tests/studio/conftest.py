"""A novel entry with its people: two team members, their teacher, and outsiders of every role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

  # fmt: skip


@dataclass
class NovelSetup:
    entry: Any
    student: Any
    teammate: Any
    teacher: Any
    other_student: Any
    other_teacher: Any
    organiser: Any
    judge: Any


@pytest.fixture
def novel_setup(make_competition, make_school, make_user) -> NovelSetup:  # type: ignore[no-untyped-def]
    from aigc_contest.web.entries.models import Entry, Team

    _, category, theme = make_competition("novel-comp", work_types=("novel", "storybook"))
    school, elsewhere = make_school("school-a"), make_school("school-b")
    teacher = make_user("teacher.a", "teacher", school)
    student, teammate = make_user("amy", "student", school), make_user("ben", "student", school)
    other_student = make_user("cat", "student", school)  # same school, another team
    other_teacher = make_user("teacher.b", "teacher", elsewhere)
    organiser = make_user("org", "organiser")
    judge = make_user("judy", "judge")
    team = Team.objects.create(competition=category.competition, category=category, name="Owls", school=school,
                               supervising_teacher=teacher)  # fmt: skip
    team.members.set([student, teammate])
    entry = Entry.objects.create(team=team, category=category, theme=theme, work_type="novel", title="Owl Night")
    return NovelSetup(entry, student, teammate, teacher, other_student, other_teacher, organiser, judge)


