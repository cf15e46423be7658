"""The organiser's judging actions as forms: a refused number, choice or name comes back beside its field,
with everything else the organiser typed still there, and nothing is written."""

from __future__ import annotations

from typing import Any

import lxml.html
import pytest

pytestmark = pytest.mark.django_db


def _post(client: Any, j: Any, **data: Any) -> Any:
    return client.post(f"/organiser/{j.competition.slug}/judging/", data)


def _page(response: Any) -> Any:
    return lxml.html.fromstring(response.content.decode())


def _refused_beside(response: Any, field_id: str, message: str) -> Any:
    """The field is marked invalid and its error, naming the problem, follows it; returns the field."""
    assert response.status_code == 400, response.status_code
    page = _page(response)
    (field,) = page.xpath(f'//*[@id="{field_id}"]')
    assert field.get("aria-invalid") == "true"
    assert f"{field_id}_error" in (field.get("aria-describedby") or "")
    errors = field.getnext()
    assert errors is not None and errors.get("id") == f"{field_id}_error", lxml.html.tostring(
        field.getparent()
    )
    assert message in errors.text_content()
    return page


def _value(page: Any, field_id: str) -> str | None:
    (field,) = page.xpath(f'//*[@id="{field_id}"]')
    if field.tag == "select":
        selected = field.xpath("option[@selected]")
        return selected[0].get("value") if selected else None
    return field.get("value")


def _messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def organiser(judged: Any, client: Any) -> Any:
    client.force_login(judged.organiser)
    return client


def test_judges_per_entry_out_of_range_is_refused_beside_it_and_the_round_kept(
    judged: Any, organiser: Any
) -> None:
    from aigc_contest.web.judging.models import Round

    before = list(Round.objects.values_list("kind", "judges_per_entry"))
    response = _post(organiser, judged, action="open_round", kind="final", k="25")
    page = _refused_beside(response, "round-k", "Judges per entry must be between 1 and 20.")
    assert _value(page, "round-k") == "25" and _value(page, "round-kind") == "final"
    response = _post(organiser, judged, action="open_round", kind="final", k="three")
    page = _refused_beside(response, "round-k", "Please enter a whole number.")
    assert _value(page, "round-k") == "three"
    assert list(Round.objects.values_list("kind", "judges_per_entry")) == before


def test_an_unknown_round_kind_is_refused_beside_the_choice(judged: Any, organiser: Any) -> None:
    from aigc_contest.web.judging.models import Round

    response = _post(organiser, judged, action="open_round", kind="semi-final", k="4")
    page = _refused_beside(response, "round-kind", "Unknown round.")
    assert _value(page, "round-k") == "4"
    assert Round.objects.count() == 1


def test_a_good_round_is_saved_as_before(judged: Any, organiser: Any) -> None:
    from aigc_contest.web.judging.models import Round

    response = organiser.post(
        f"/organiser/{judged.competition.slug}/judging/",
        {"action": "open_round", "kind": Round.Kind.FINAL, "k": ""},
        follow=True,
    )
    assert "Round saved." in _messages(response)
    # An empty box means the suggested 3.
    assert Round.objects.get(kind=Round.Kind.FINAL).judges_per_entry == 3


def test_panel_loads_are_checked_beside_their_fields_and_the_name_kept(judged: Any, organiser: Any) -> None:
    from aigc_contest.web.judging.models import PanelMembership

    j, prefix = judged, f"add-judge-{judged.round.pk}"
    before = set(PanelMembership.objects.values_list("judge__username", "min_load", "max_load"))
    j.make_user("judge.d", "judge")
    response = _post(
        organiser, j, action="add_judge", round=j.round.pk, username="judge.d", min_load="two", max_load="5"
    )
    page = _refused_beside(response, f"{prefix}-min_load", "Please enter a whole number.")
    assert (_value(page, f"{prefix}-username"), _value(page, f"{prefix}-max_load")) == ("judge.d", "5")
    response = _post(
        organiser, j, action="add_judge", round=j.round.pk, username="judge.d", min_load="4", max_load="2"
    )
    page = _refused_beside(response, f"{prefix}-max_load", "The most entries must be at least the fewest.")
    assert (_value(page, f"{prefix}-username"), _value(page, f"{prefix}-min_load")) == ("judge.d", "4")
    response = _post(
        organiser, j, action="add_judge", round=j.round.pk, username="judge.d", min_load="0", max_load="5000"
    )
    _refused_beside(response, f"{prefix}-max_load", "The most entries must be between 0 and 1000.")
    assert set(PanelMembership.objects.values_list("judge__username", "min_load", "max_load")) == before


def test_a_name_that_is_no_judge_is_refused_beside_it(judged: Any, organiser: Any) -> None:
    j, prefix = judged, f"add-judge-{judged.round.pk}"
    response = _post(
        organiser, j, action="add_judge", round=j.round.pk, username="student.a", min_load="1", max_load="3"
    )
    page = _refused_beside(response, f"{prefix}-username", "No judge with that user name.")
    assert (
        _value(page, f"{prefix}-username"),
        _value(page, f"{prefix}-min_load"),
        _value(page, f"{prefix}-max_load"),
    ) == ("student.a", "1", "3")


def test_a_good_judge_joins_the_panel(judged: Any, organiser: Any) -> None:
    from aigc_contest.web.judging.models import PanelMembership

    judged.make_user("judge.d", "judge")
    response = organiser.post(
        f"/organiser/{judged.competition.slug}/judging/",
        {
            "action": "add_judge",
            "round": judged.round.pk,
            "username": " judge.d ",
            "min_load": "1",
            "max_load": "4",
        },
        follow=True,
    )
    assert any(m.endswith("joined the panel.") for m in _messages(response))
    member = PanelMembership.objects.get(round=judged.round, judge__username="judge.d")
    assert (member.min_load, member.max_load) == (1, 4)


def test_a_pairing_with_a_bad_entry_number_keeps_the_judge(judged: Any, organiser: Any) -> None:
    from aigc_contest.web.judging.models import ForbiddenPair

    j, prefix = judged, f"pair-{judged.round.pk}"
    response = _post(organiser, j, action="forbid", round=j.round.pk, entry="12a", judge="judge.c")
    page = _refused_beside(response, f"{prefix}-entry", "No entry with that number in this competition.")
    assert (_value(page, f"{prefix}-entry"), _value(page, f"{prefix}-judge")) == ("12a", "judge.c")
    response = _post(organiser, j, action="pin", round=j.round.pk, entry=f"#{j.entry.pk}", judge="nobody")
    page = _refused_beside(response, f"{prefix}-judge", "No judge with that user name.")
    assert _value(page, f"{prefix}-entry") == f"#{j.entry.pk}"
    assert not ForbiddenPair.objects.exists()


def test_a_pairing_the_rules_refuse_is_reported_with_the_input_kept(judged: Any, organiser: Any) -> None:
    j, prefix = judged, f"pair-{judged.round.pk}"
    response = _post(organiser, j, action="pin", round=j.round.pk, entry=str(j.entry.pk), judge="judge.a")
    assert response.status_code == 400
    assert any("same school" in m for m in _messages(response))
    page = _page(response)
    assert (_value(page, f"{prefix}-entry"), _value(page, f"{prefix}-judge")) == (str(j.entry.pk), "judge.a")


def test_award_places_out_of_range_are_refused_beside_the_box_and_the_others_kept(
    judged: Any, organiser: Any
) -> None:
    from aigc_contest.web.judging.models import AwardRule

    j, pk = judged, judged.category.pk
    response = _post(
        organiser,
        j,
        action="award_places",
        **{
            f"places-{pk}-first": "2",
            f"places-{pk}-second": "101",
            f"places-{pk}-third": "1",
            f"places-{pk}-merit": "7",
        },
    )
    page = _refused_beside(response, f"id_places-{pk}-second", "Award places must be between 0 and 100.")
    assert [_value(page, f"id_places-{pk}-{kind}") for kind in ("first", "third", "merit")] == ["2", "1", "7"]
    assert _value(page, f"id_places-{pk}-second") == "101"
    assert not AwardRule.objects.exists()
    response = _post(
        organiser, j, action="award_places", **{f"places-{pk}-first": "-1", f"places-{pk}-merit": "7"}
    )
    page = _refused_beside(response, f"id_places-{pk}-first", "Award places must be between 0 and 100.")
    assert _value(page, f"id_places-{pk}-merit") == "7"


def test_good_award_places_are_saved_and_an_empty_box_means_none(judged: Any, organiser: Any) -> None:
    from aigc_contest.web.judging import services

    pk = judged.category.pk
    response = organiser.post(
        f"/organiser/{judged.competition.slug}/judging/",
        {
            "action": "award_places",
            f"places-{pk}-first": "1",
            f"places-{pk}-second": "",
            f"places-{pk}-third": "2",
            f"places-{pk}-merit": "5",
        },
        follow=True,
    )
    assert "Award places saved." in _messages(response)
    assert services.award_places(judged.category) == {"first": 1, "second": 0, "third": 2, "merit": 5}


def test_an_import_without_a_file_says_so_beside_the_file_field(judged: Any, organiser: Any) -> None:
    response = _post(organiser, judged, action="import_assignments", round=judged.round.pk)
    _refused_beside(response, f"import-{judged.round.pk}-file", "Choose a CSV file first.")


def test_hidden_inputs_that_are_wrong_come_back_as_messages(judged: Any, organiser: Any) -> None:
    from aigc_contest.web.judging.models import Result

    response = _post(organiser, judged, action="assign", round="999999")
    assert response.status_code == 400 and "Open a round first." in _messages(response)
    response = _post(organiser, judged, action="confirm", round=judged.round.pk, method="loudest")
    assert response.status_code == 400 and any("unknown method 'loudest'" in m for m in _messages(response))
    response = _post(organiser, judged, action="dance")
    assert response.status_code == 400 and "Unknown action." in _messages(response)
    assert not Result.objects.exists()


def test_the_refused_page_keeps_the_computed_preview(judged: Any, score_all: Any, organiser: Any) -> None:
    """The form posts to the page's own address, so the results being compared stay on screen."""
    score_all(judged, {})
    url = f"/organiser/{judged.competition.slug}/judging/?round={judged.round.pk}&method=zscore"
    response = organiser.post(url, {"action": "open_round", "kind": "final", "k": "0"})
    assert response.status_code == 400 and "Computed with zscore@1" in response.content.decode()


def test_the_forms_alone() -> None:
    from aigc_contest.judging import METHODS
    from aigc_contest.web.contests.models import Competition
    from aigc_contest.web.judging import forms
    from aigc_contest.web.judging.models import AggregationMethod

    assert AggregationMethod.values == list(METHODS)  # the picker offers exactly the core's methods
    competition = Competition(slug="x")
    form = forms.OpenRoundForm({"kind": "scoring", "k": "0"}, competition=competition)
    assert not form.is_valid() and list(form.errors) == ["k"]
    form = forms.OpenRoundForm({"kind": "final"}, competition=competition)
    assert form.is_valid() and form.cleaned_data == {"kind": "final", "k": 3}
