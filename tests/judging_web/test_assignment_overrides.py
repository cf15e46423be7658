"""Organisers' manual control of the assignment: CSV export/import, pin and forbid, and who may do it."""

from __future__ import annotations

import csv
import io

import pytest

pytestmark = pytest.mark.django_db


def _pairs(j) -> set[tuple[int, str, bool]]:  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging.models import Assignment

    return {(a.entry_id, a.judge.username, a.pinned)
            for a in Assignment.objects.filter(round=j.round).select_related("judge")}


def _csv(rows: list[list[object]], header: str = "entry,judge,pinned") -> bytes:
    buffer = io.StringIO()
    buffer.write(header + "\n")
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


def _export(client, j) -> list[list[str]]:  # type: ignore[no-untyped-def]
    response = client.get(f"/organiser/{j.competition.slug}/judging/rounds/{j.round.pk}/assignments.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _post(client, j, **data):  # type: ignore[no-untyped-def]
    return client.post(f"/organiser/{j.competition.slug}/judging/", {"round": j.round.pk, **data}, follow=True)


def _messages(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in response.context["messages"]]


def test_export_lists_every_pair_with_the_core_columns(judged, client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(judged.organiser)
    rows = _export(client, judged)
    assert rows[0][:3] == ["entry", "judge", "pinned"]
    body = {(int(r[0]), r[1], r[2]) for r in rows[1:]}
    assert body == {(e, u, "0") for e, u, _pinned in _pairs(judged)}
    assert len(rows) == 1 + 4


def test_export_defuses_spreadsheet_formulas_in_titles(judged, client) -> None:  # type: ignore[no-untyped-def]
    judged.entry_b.title = "=HYPERLINK(\"http://x\")"
    judged.entry_b.save(update_fields=["title"])
    client.force_login(judged.organiser)
    titles = {r[4] for r in _export(client, judged)[1:]}
    assert "'=HYPERLINK(\"http://x\")" in titles


def test_round_trip_changes_nothing_and_an_edit_is_applied(judged, client) -> None:  # type: ignore[no-untyped-def]
    j = judged
    client.force_login(j.organiser)
    before = _pairs(j)
    exported = "\n".join(",".join(r) for r in _export(client, j)).encode()
    response = _post(client, j, action="import_assignments", file=io.BytesIO(exported))
    assert any("0 added, 0 removed, 4 kept" in m for m in _messages(response))
    assert _pairs(j) == before

    # Entry B: swap one of its judges for the judge it lacks, and pin the new pair.
    b_judges = {u for e, u, _p in before if e == j.entry_b.pk}
    (missing,) = {"judge", "judge.a", "judge.c"} - b_judges
    dropped = sorted(b_judges)[0]
    rows = [[e, u, 0] for e, u, _p in before if (e, u) != (j.entry_b.pk, dropped)] + [[j.entry_b.pk, missing, 1]]
    upload = io.BytesIO(_csv(rows))
    upload.name = "edited.csv"
    response = _post(client, j, action="import_assignments", file=upload)
    assert any("1 added, 1 removed, 3 kept, 1 pinned" in m for m in _messages(response)), _messages(response)
    after = _pairs(j)
    assert (j.entry_b.pk, missing, True) in after and not any(u == dropped and e == j.entry_b.pk for e, u, _ in after)


def test_bad_rows_are_listed_by_line_and_nothing_changes(judged, client) -> None:  # type: ignore[no-untyped-def]
    j = judged
    client.force_login(j.organiser)
    before = _pairs(j)
    rows = [
        [j.entry.pk, "judge", 0],  # line 2: fine
        [j.entry.pk, "judge.a", 0],  # line 3: judge.a is at the entrant's school
        [j.entry_b.pk, "nobody", 0],  # line 4: not on the panel
        ["abc", "judge.c", 0],  # line 5: not an entry number
        [j.entry_b.pk, "judge.c", 1],  # line 6: fine
    ]
    response = _post(client, j, action="import_assignments", file=io.BytesIO(_csv(rows)))
    text = "\n".join(_messages(response))
    assert "nothing has changed" in text
    assert "Line 3: conflict of interest: same school" in text
    assert "Line 4: “nobody” is not on this round's panel." in text
    assert "Line 5: “abc” is not the number of a submitted entry" in text
    assert "Line 2" not in text and "Line 6" not in text
    assert _pairs(j) == before


def test_malformed_rows_are_reported_by_the_core_parser(judged) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging.overrides import AssignmentCsvRejected, import_assignments

    data = _csv([[judged.entry.pk, "judge", "maybe"], [judged.entry.pk, "judge", 0], [judged.entry.pk, "judge", 0]])
    with pytest.raises(AssignmentCsvRejected) as caught:
        import_assignments(judged.organiser, judged.round, data)
    assert [(p.line, p.message.split(" (")[0]) for p in caught.value.problems] == [
        (2, "pinned must be 0 or 1"), (4, f"pair {judged.entry.pk},judge repeats line 3")]
    with pytest.raises(AssignmentCsvRejected, match="nothing has changed"):
        import_assignments(judged.organiser, judged.round, b"\xff\xfe not utf-8")


def test_load_bounds_and_k_are_checked_again(judged) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging.models import PanelMembership
    from aigc_contest.web.judging.overrides import AssignmentCsvRejected, import_assignments

    j = judged
    PanelMembership.objects.filter(round=j.round, judge=j.judge_c).update(max_load=1)
    before = _pairs(j)
    rows = [[j.entry.pk, "judge", 0], [j.entry.pk, "judge.c", 0],
            [j.entry_b.pk, "judge", 0], [j.entry_b.pk, "judge.a", 0], [j.entry_b.pk, "judge.c", 0]]
    with pytest.raises(AssignmentCsvRejected) as caught:
        import_assignments(j.organiser, j.round, _csv(rows))
    messages = [str(p) for p in caught.value.problems]
    assert f"Entry {j.entry_b.pk} has 3 judges; a round of this kind takes 2." in messages
    assert "judge.c has 2 entries; the most allowed is 1." in messages
    assert _pairs(j) == before


def test_submitted_work_cannot_be_dropped_and_gaps_are_only_warnings(judged) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging import services
    from aigc_contest.web.judging.models import Assignment
    from aigc_contest.web.judging.overrides import AssignmentCsvRejected, import_assignments

    j = judged
    done = Assignment.objects.filter(round=j.round, entry=j.entry).select_related("judge").first()
    services.save_scores(done.judge, done, {c.pk: 5 for c in j.criteria}, submit=True)
    with pytest.raises(AssignmentCsvRejected, match="nothing has changed") as caught:
        import_assignments(j.organiser, j.round, _csv([]))
    assert [str(p) for p in caught.value.problems] == [
        f"{done.judge.username} has submitted scores for entry {j.entry.pk}; keep that row."]
    report = import_assignments(j.organiser, j.round, _csv([[j.entry.pk, done.judge.username, 0]]))
    assert (report.created, report.removed, report.kept) == (0, 3, 1)
    assert any("fewer than 2 judges" in w for w in report.warnings)
    again = services.assign_judges(j.organiser, j.round)  # fills the gaps, keeping the imported pair
    assert again.created == 3 and Assignment.objects.filter(round=j.round).count() == 4


def _final_round(j, k: int = 1):  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging import services

    round_ = services.open_round(j.organiser, j.competition, "final", k=k)
    for judge in (j.judge, j.judge_c):
        services.add_judge(j.organiser, round_, judge, max_load=2)
    return round_


def _judges_of(round_, entry) -> set[str]:  # type: ignore[no-untyped-def]
    return set(round_.assignments.filter(entry=entry).values_list("judge__username", flat=True))


def test_forbidden_pairs_steer_the_solver(judged) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging import overrides, services

    j = judged
    for forbid_on_a, forbid_on_b in ((j.judge, j.judge_c), (j.judge_c, j.judge)):
        round_ = _final_round(j)
        round_.assignments.all().delete()
        round_.forbidden_pairs.all().delete()
        overrides.forbid_pair(j.organiser, round_, j.entry, forbid_on_a)
        overrides.forbid_pair(j.organiser, round_, j.entry_b, forbid_on_b)
        services.assign_judges(j.organiser, round_, early=True)
        assert _judges_of(round_, j.entry) == {forbid_on_b.username}
        assert _judges_of(round_, j.entry_b) == {forbid_on_a.username}


def test_a_pin_survives_reassignment_and_a_forbid_removes_unstarted_work(judged) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.core.errors import ServiceError
    from aigc_contest.web.judging import overrides, services

    j = judged
    round_ = _final_round(j, k=2)
    pinned = overrides.pin_pair(j.organiser, round_, j.entry_b, j.judge_c)
    assert pinned.pinned and _judges_of(round_, j.entry_b) == {"judge.c"}
    services.assign_judges(j.organiser, round_)
    report = services.assign_judges(j.organiser, round_, reassign=True)
    assert report.released == 3 and report.created == 3  # every unpinned, unstarted pair was redone
    assert round_.assignments.get(entry=j.entry_b, judge=j.judge_c).pk == pinned.pk

    overrides.forbid_pair(j.organiser, round_, j.entry_b, j.judge_c)
    assert "judge.c" not in _judges_of(round_, j.entry_b)
    with pytest.raises(ServiceError, match="forbidden"):
        overrides.pin_pair(j.organiser, round_, j.entry_b, j.judge_c)
    with pytest.raises(ServiceError, match="No assignment is possible"):  # B now has one allowed judge for k=2
        services.assign_judges(j.organiser, round_)
    overrides.unforbid_pair(j.organiser, round_, j.entry_b, j.judge_c)
    services.assign_judges(j.organiser, round_)
    assert _judges_of(round_, j.entry_b) == {"judge", "judge.c"}


def test_pins_keep_every_rule(judged) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.core.errors import ServiceError
    from aigc_contest.web.judging import overrides, services
    from aigc_contest.web.judging.models import Assignment

    j = judged
    with pytest.raises(ServiceError, match="same school"):
        overrides.pin_pair(j.organiser, j.round, j.entry, j.judge_a)
    with pytest.raises(ServiceError, match="has 2 judges already"):
        free = ({"judge", "judge.a", "judge.c"} - _judges_of(j.round, j.entry_b)).pop()
        overrides.pin_pair(j.organiser, j.round, j.entry_b, {"judge": j.judge, "judge.a": j.judge_a,
                                                             "judge.c": j.judge_c}[free])
    done = Assignment.objects.filter(round=j.round, entry=j.entry).select_related("judge").first()
    services.save_scores(done.judge, done, {c.pk: 5 for c in j.criteria}, submit=True)
    with pytest.raises(ServiceError, match="submitted scores"):
        overrides.forbid_pair(j.organiser, j.round, j.entry, done.judge)


def test_only_organisers_may_change_or_download_the_assignment(judged, client) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.core.errors import PermissionDenied
    from aigc_contest.web.judging import overrides

    j = judged
    url = f"/organiser/{j.competition.slug}/judging/rounds/{j.round.pk}/assignments.csv"
    before = _pairs(j)
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    for user in (j.student_a, j.teacher_a, j.judge, j.judge_c):
        client.force_login(user)
        assert client.get(url).status_code == 403, user
        for data in ({"action": "forbid", "entry": j.entry.pk, "judge": "judge"},
                     {"action": "import_assignments", "file": io.BytesIO(_csv([]))},
                     {"action": "reassign"}):
            assert client.post(f"/organiser/{j.competition.slug}/judging/", {"round": j.round.pk, **data}
                               ).status_code == 403
        with pytest.raises(PermissionDenied):
            overrides.pin_pair(user, j.round, j.entry_b, j.judge_c)
        with pytest.raises(PermissionDenied):
            overrides.import_assignments(user, j.round, _csv([]))
    assert _pairs(j) == before
    client.force_login(j.organiser)
    response = _post(client, j, action="forbid", entry=str(j.entry.pk), judge="judge")
    assert any("judge will not judge entry" in m for m in _messages(response))
    assert "Forbidden pairings" in response.content.decode()


def test_nothing_changes_after_the_announcement(judged) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from django.utils import timezone

    from aigc_contest.web.core.errors import ServiceError
    from aigc_contest.web.judging import overrides

    j = judged
    j.competition.results_at = timezone.now() - timedelta(seconds=1)
    j.competition.save(update_fields=["results_at"])
    with pytest.raises(ServiceError, match="announced"):
        overrides.forbid_pair(j.organiser, j.round, j.entry, j.judge)
    with pytest.raises(ServiceError, match="announced"):
        overrides.import_assignments(j.organiser, j.round, _csv([]))
