"""A competition with two submitted entries from two schools, a rubric, three judges and a scoring round."""

from __future__ import annotations

import io
import json
from types import SimpleNamespace

import pytest


@pytest.fixture
def provenance_png():  # type: ignore[no-untyped-def]
    """A PNG as the studio writes it (provenance chunks), plus EXIF with a camera owner and GPS."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    def make(color=(10, 120, 200)) -> bytes:  # type: ignore[no-untyped-def]
        image = Image.new("RGB", (40, 30), color)
        exif = Image.Exif()
        exif[0x013B] = "Chan Tai Man"  # Artist
        exif[0x8298] = "Copyright St Mary's Primary"  # Copyright
        info = PngInfo()
        info.add_text("parameters", "a red kite over the harbour\nSteps: 20, Sampler: Euler, Seed: 7")
        info.add_text("aigc-contest", json.dumps({"backend": "diffusers", "model": "image-tiny", "prompt": "kite",
                                                  "user": "student.a"}))
        info.add_text("Author", "Chan Tai Man")
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", pnginfo=info, exif=exif)
        return buffer.getvalue()

    return make


@pytest.fixture
def judged(world, make_user, provenance_png):  # type: ignore[no-untyped-def]
    from aigc_contest.web.contests.models import Criterion
    from aigc_contest.web.entries import services as entries
    from aigc_contest.web.judging import services

    w = world
    descriptors = {"0-3": "Little or no evidence", "4-7": "Some evidence", "8-10": "Outstanding"}
    criteria = [
        Criterion.objects.create(competition=w.competition, key="ai_use", name_en="Use of AI models", weight=60,
                                 min_score=0, max_score=10, descriptors=descriptors, order=0),
        Criterion.objects.create(competition=w.competition, key="creativity", name_en="Creativity", weight=40,
                                 min_score=0, max_score=10, descriptors=descriptors, order=1),
    ]
    entries.submit_entry(w.student_a, w.entry)
    team_b = entries.create_team(w.teacher_b, w.category, name="Team B", members=[w.student_b])
    entry_b = entries.start_entry(w.student_b, team_b, title="Kite over the harbour", work_type="image", theme=w.theme)
    entries.upload_draft_file(w.student_b, entry_b, filename="kite.png", data=provenance_png())
    entries.submit_entry(w.student_b, entry_b)
    judge_a = make_user("judge.a", "judge", w.school_a)  # same school as Team A
    judge_c = make_user("judge.c", "judge")
    round_ = services.open_round(w.organiser, w.competition, "scoring", k=2)
    for judge in (w.judge, judge_a, judge_c):
        services.add_judge(w.organiser, round_, judge, max_load=2)
    report = services.assign_judges(w.organiser, round_, early=True)
    w.entry.refresh_from_db()
    return SimpleNamespace(**vars(w), criteria=criteria, team_b=team_b, entry_b=entry_b, judge_a=judge_a,
                           judge_c=judge_c, round=round_, report=report)


@pytest.fixture
def score_all():  # type: ignore[no-untyped-def]
    """Submit scores for every open assignment of a round: {(entry, judge username): (ai_use, creativity)}."""
    from aigc_contest.web.judging import services
    from aigc_contest.web.judging.models import Assignment

    def run(j, values):  # type: ignore[no-untyped-def]
        for a in Assignment.objects.filter(round=j.round, status="assigned").select_related("judge", "entry"):
            ai, creativity = values.get((a.entry_id, a.judge.username), (5, 5))
            services.save_scores(a.judge, a, {j.criteria[0].pk: ai, j.criteria[1].pk: creativity}, submit=True)

    return run


