"""The works framework's own promises: every kind is listed and implements the kind protocol, one receiver
applies finished jobs for every kind, and a stale save is refused without losing what is stored."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from aigc_contest.web.works.base import StaleRevision, WorkKindSpec
from aigc_contest.web.works.models import WorkKind
from aigc_contest.web.works.registry import KINDS, kind_of


def test_every_kind_is_listed_and_implements_the_protocol() -> None:
    assert set(KINDS) == set(WorkKind)
    wanted = {
        name for name, _ in inspect.getmembers(WorkKindSpec, inspect.isfunction) if not name.startswith("_")
    }
    for kind, spec in KINDS.items():
        assert spec.kind == kind and kind_of(kind.value) is spec
        assert wanted <= {name for name in dir(spec) if callable(getattr(spec, name))}, kind
        assert all(str(label) for label in spec.steps.values())


def test_one_receiver_applies_finished_jobs_for_every_kind() -> None:
    from django.db.models.signals import post_save

    from aigc_contest.web.jobs.models import Job

    uids = {key[0] for key, *_ in post_save.receivers if isinstance(key[0], str)}
    assert "works-job-finished" in uids
    assert not {"studio-job-finished", "storybooks-job-finished"} & uids
    assert post_save.has_listeners(Job)


@pytest.mark.django_db
def test_a_stale_save_is_refused_and_nothing_is_lost(make_competition, make_school, make_user) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.core.errors import ServiceError
    from aigc_contest.web.entries.models import Entry, Team
    from aigc_contest.web.works import services

    _, category, theme = make_competition("works", work_types=("image", "novel"))
    school = make_school("school-w")
    amy, ben = make_user("amy.w", "student", school), make_user("ben.w", "student", school)
    team = Team.objects.create(competition=category.competition, category=category, name="Wrens", school=school,
                               supervising_teacher=make_user("teacher.w", "teacher", school))  # fmt: skip
    team.members.set([amy, ben])
    entry = Entry.objects.create(team=team, category=category, theme=theme, work_type="image", title="Sea")
    with pytest.raises(ServiceError) as wrong:
        services.start(amy, entry, WorkKind.NOVEL)
    assert wrong.value.code == "wrong_kind"
    work = services.start(amy, entry, WorkKind.IMAGE)
    assert services.start(ben, entry, WorkKind.IMAGE).pk == work.pk
    first: dict[str, Any] = {**work.document, "caption": "Amy's words"}
    work = services.save(amy, work, document=first, revision=1)
    assert work.revision == 2 and work.updated_by == amy
    with pytest.raises(StaleRevision) as stale:
        services.save(ben, work, document={**first, "caption": "Ben's words, from revision 1"}, revision=1)
    assert stale.value.current == 2 and stale.value.code == "stale"
    work.refresh_from_db()
    assert work.document["caption"] == "Amy's words" and work.revision == 2
