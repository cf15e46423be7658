"""Judges score blind; conflicts, abstentions and the assignment rules; organisers confirm results."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

pytestmark = pytest.mark.django_db


def _assignments(j, judge=None):  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging.models import Assignment

    qs = Assignment.objects.filter(round=j.round)
    return qs.filter(judge=judge) if judge is not None else qs


def test_assignment_gives_k_judges_and_avoids_same_school(judged) -> None:  # type: ignore[no-untyped-def]
    j = judged
    assert _assignments(j).filter(entry=j.entry).count() == 2
    assert _assignments(j).filter(entry=j.entry_b).count() == 2
    assert not _assignments(j, j.judge_a).filter(entry=j.entry).exists()  # judge.a teaches at school A
    # Re-running keeps what exists and adds nothing.
    from aigc_contest.web.judging import services

    again = services.assign_judges(j.organiser, j.round)
    assert (again.created, again.kept) == (0, 4)


def test_blind_page_shows_the_work_and_rubric_but_no_names(judged, client) -> None:  # type: ignore[no-untyped-def]
    j = judged
    assignment = _assignments(j).filter(entry=j.entry_b).first()
    client.force_login(assignment.judge)
    html = client.get(f"/judging/assignments/{assignment.pk}/").content.decode()
    assert "Kite over the harbour" in html and "Use of AI models" in html and "Some evidence" in html
    assert "a red kite over the harbour" in html  # provenance shown: AI use is a criterion
    for secret in ("Team B", "Student.B", "student.b", "School-B", "school-b", "Teacher.B", "teacher.b"):
        assert secret not in html, secret
    listing = client.get("/judging/").content.decode()
    assert assignment.blind_code in listing and "Team B" not in listing and "Team A" not in listing


def test_someone_elses_assignment_is_not_found(judged, client) -> None:  # type: ignore[no-untyped-def]
    j = judged
    assignment = _assignments(j).exclude(judge=j.judge_c).first()
    for user in (j.judge_c, j.student_a, j.teacher_a):
        client.force_login(user)
        assert client.get(f"/judging/assignments/{assignment.pk}/").status_code == 404
        assert client.get(f"/judging/assignments/{assignment.pk}/file").status_code == 404


def test_blind_image_strips_exif_and_keeps_provenance(provenance_png) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging.blind import blind_image

    original = provenance_png()
    source = Image.open(io.BytesIO(original))
    assert source.getexif() and "Author" in source.text  # the fixture really carries personal metadata
    out = blind_image(original)
    image = Image.open(io.BytesIO(out.data))
    image.load()
    assert not image.getexif()
    assert b"eXIf" not in out.data and b"Chan Tai Man" not in out.data
    assert "Author" not in image.text
    assert image.text["parameters"].startswith("a red kite over the harbour")
    provenance = json.loads(image.text["aigc-contest"])
    assert provenance["model"] == "image-tiny" and "user" not in provenance
    assert image.convert("RGB").getpixel((0, 0)) == (10, 120, 200)


def test_judge_file_route_serves_the_stripped_image(judged, client) -> None:  # type: ignore[no-untyped-def]
    j = judged
    assignment = _assignments(j).filter(entry=j.entry_b).first()
    client.force_login(assignment.judge)
    response = client.get(f"/judging/assignments/{assignment.pk}/file")
    data = b"".join(response) if response.streaming else response.content
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"Chan Tai Man" not in data and b"student.a" not in data and b"parameters" in data


def test_save_come_back_and_submit(judged, client) -> None:  # type: ignore[no-untyped-def]
    j = judged
    assignment = _assignments(j, j.judge_c).first()
    ai, creativity = j.criteria
    client.force_login(j.judge_c)
    url = f"/judging/assignments/{assignment.pk}/"
    client.post(url, {"action": "save", f"score-{ai.pk}": "7", f"comment-{ai.pk}": "prompts iterated well"})
    assignment.refresh_from_db()
    assert assignment.status == "assigned" and assignment.scores.get().value == 7
    page = client.get(url).content.decode()
    assert 'value="7.00"' in page and "prompts iterated well" in page
    response = client.post(url, {"action": "submit", f"score-{ai.pk}": "7"}, follow=True)
    assert "Creativity" in response.content.decode()  # the refusal names the missing criterion
    assignment.refresh_from_db()
    assert assignment.status == "assigned"
    client.post(url, {"action": "submit", f"score-{ai.pk}": "11", f"score-{creativity.pk}": "3"})
    assignment.refresh_from_db()
    assert assignment.status == "assigned"  # 11 is out of range
    client.post(url, {"action": "submit", f"score-{ai.pk}": "8", f"score-{creativity.pk}": "6.5"})
    assignment.refresh_from_db()
    assert assignment.status == "submitted" and assignment.submitted_at is not None
    assert {s.criterion.key: float(s.value) for s in assignment.scores.all()} == {"ai_use": 8.0, "creativity": 6.5}
    from aigc_contest.web.core.errors import ServiceError
    from aigc_contest.web.judging import services

    with pytest.raises(ServiceError):
        services.save_scores(j.judge_c, assignment, {ai.pk: 1, creativity.pk: 1}, submit=True)


def test_conflict_removes_the_assignment_and_reassigning_fills_the_gap(judged, client) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging import services
    from aigc_contest.web.judging.models import ConflictDeclaration

    j = judged
    services.add_judge(j.organiser, j.round, j.make_user("judge.d", "judge"), max_load=2)
    assignment = _assignments(j, j.judge_c).first()
    entry = assignment.entry
    client.force_login(j.judge_c)
    client.post(f"/judging/assignments/{assignment.pk}/", {"action": "conflict", "reason": "my niece"})
    assert not _assignments(j, j.judge_c).filter(entry=entry).exists()
    assert ConflictDeclaration.objects.filter(judge=j.judge_c, entry=entry).exists()
    services.assign_judges(j.organiser, j.round)
    assert _assignments(j).filter(entry=entry).count() == 2
    assert not _assignments(j, j.judge_c).filter(entry=entry).exists()  # the declared conflict is respected


def test_abstaining_excludes_the_pair(judged) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging import services

    j = judged
    assignment = _assignments(j, j.judge_c).first()
    services.abstain(j.judge_c, assignment, "unwell")
    assignment.refresh_from_db()
    assert assignment.status == "abstained"
    services.add_judge(j.organiser, j.round, j.make_user("judge.d", "judge"), max_load=2)
    services.assign_judges(j.organiser, j.round)
    assert _assignments(j).filter(entry=assignment.entry).exclude(status="abstained").count() == 2


def test_results_are_recorded_only_when_confirmed(judged, score_all, client) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging import services
    from aigc_contest.web.judging.models import Award, Result

    j = judged
    score_all(j, {(j.entry_b.pk, "judge.c"): (9, 9), (j.entry_b.pk, "judge"): (8, 8)})
    client.force_login(j.organiser)
    page = client.get(f"/organiser/{j.competition.slug}/judging/?round={j.round.pk}&method=zscore")
    assert page.status_code == 200 and "zscore@1" in page.content.decode()
    assert not Result.objects.exists()  # computing is advisory
    client.post(f"/organiser/{j.competition.slug}/judging/", {"action": "confirm", "round": j.round.pk,
                                                               "method": "mean"})
    results = {r.entry_id: r for r in Result.objects.all()}
    assert results[j.entry_b.pk].rank == 1 and results[j.entry.pk].rank == 2
    assert results[j.entry_b.pk].method == "mean@1" and results[j.entry_b.pk].confirmed_by == j.organiser
    assert "chain" in results[j.entry_b.pk].tiebreak
    services.set_award_places(j.organiser, j.category, {"first": 1, "second": 0, "third": 0, "merit": 1})
    assert services.give_awards(j.organiser, j.round) == 2
    assert dict(Award.objects.values_list("entry_id", "kind")) == {j.entry_b.pk: "first", j.entry.pk: "merit"}


def test_only_organisers_run_judging(judged, client) -> None:  # type: ignore[no-untyped-def]
    j = judged
    for user in (j.judge, j.teacher_a, j.student_a):
        client.force_login(user)
        assert client.get(f"/organiser/{j.competition.slug}/judging/").status_code == 403
    client.force_login(j.organiser)
    html = client.get(f"/organiser/{j.competition.slug}/judging/").content.decode()
    assert "Judge.C" in html or "judge.c" in html.lower()
