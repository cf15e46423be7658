"""A competition whose results are announced: two submitted entries, a confirmed result and a first place."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest


@pytest.fixture
def announced(world, make_png):  # type: ignore[no-untyped-def]
    from django.utils import timezone

    from aigc_contest.web.entries import services as entries
    from aigc_contest.web.judging.models import Award, Result, Round

    w = world
    entries.submit_entry(w.student_a, w.entry)
    team_b = entries.create_team(w.teacher_b, w.category, name="Team B", members=[w.student_b])
    entry_b = entries.start_entry(w.student_b, team_b, title="Harbour", work_type="image", theme=w.theme)
    entries.upload_draft_file(w.student_b, entry_b, filename="b.png", data=make_png(color=(0, 0, 200)))
    entries.submit_entry(w.student_b, entry_b)
    w.team.members.add(w.student_a2)
    round_ = Round.objects.create(competition=w.competition, kind="scoring", judges_per_entry=1)
    result = Result.objects.create(round=round_, entry=w.entry, version=w.entry.latest_version, category=w.category,
                                   method="mean@1", raw_score=80, score=80, rank=1, n_judges=1,
                                   confirmed_by=w.organiser, confirmed_at=timezone.now())
    award = Award.objects.create(category=w.category, entry=w.entry, result=result, kind="first")
    w.competition.results_at = timezone.now() - timedelta(seconds=1)
    w.competition.save(update_fields=["results_at"])
    return SimpleNamespace(**vars(w), team_b=team_b, entry_b=entry_b, award=award)
