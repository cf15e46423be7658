"""The organiser's set-up pages: a competition from nothing (details in three languages, the timeline on
its own clock, themes, categories with eligibility as checkboxes, a rubric whose weights total 100 % with
level descriptors), a copy for a new year; every refusal keeps what was typed and stands beside its field.
The teacher's team form keeps what was typed after an error too."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from aigc_contest.web.contests.models import Category, Competition, Criterion, Theme

pytestmark = pytest.mark.django_db

HK = ZoneInfo("Asia/Hong_Kong")

DETAILS = {
    "slug": "city-2031",
    "organiser_name": "City Education Bureau",
    "is_public": "on",
    "judge_signals": ["duplicates"],
    "name_en": "City AIGC Challenge 2031",
    "name_zh_hant": "城市 AIGC 挑戰賽 2031",
    "name_zh_hans": "城市 AIGC 挑战赛 2031",
    "description_en": "Make a storybook.",
    "description_zh_hant": "創作故事書。",
    "description_zh_hans": "创作故事书。",
    "timezone": "Asia/Hong_Kong",
    "registration_opens_at_0": "2031-09-01", "registration_opens_at_1": "09:00",
    "submission_opens_at_0": "2031-09-15", "submission_opens_at_1": "09:00",
    "submission_deadline_0": "2031-10-30", "submission_deadline_1": "23:59",
    "judging_starts_at_0": "2031-10-31", "judging_starts_at_1": "00:00",
    "results_at_0": "2031-11-13", "results_at_1": "10:00",
    "ceremony_at_0": "", "ceremony_at_1": "",
}  # fmt: skip


def _management(prefix: str, total: int, initial: int = 0) -> dict[str, Any]:
    return {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": str(initial),
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}  # fmt: skip


@pytest.fixture
def organiser(client: Any, make_user: Any) -> Any:
    user = make_user("org", "organiser")
    client.force_login(user)
    return user


@pytest.fixture
def competition(client: Any, organiser: Any) -> Competition:
    response = client.post(reverse("competition-new"), DETAILS)
    assert response.status_code == 302, response.content.decode()[:3000]
    return Competition.objects.get(slug="city-2031")


def test_a_competition_is_created_with_its_timeline_read_on_its_own_clock(competition: Competition) -> None:
    assert competition.name_zh_hant == "城市 AIGC 挑戰賽 2031"
    assert competition.judge_signals == ["duplicates"]
    # "23:59" typed in Hong Kong lasts to the end of that minute, stored as the UTC instant.
    assert competition.submission_deadline == datetime(2031, 10, 30, 15, 59, 59, 999_999, tzinfo=UTC)
    assert competition.results_at == datetime(2031, 11, 13, 10, 0, tzinfo=HK)


def test_the_details_page_shows_the_timeline_on_a_line_on_the_competitions_clock(
    client: Any, competition: Competition
) -> None:
    page = client.get(reverse("competition-setup", args=[competition.slug])).content.decode()
    assert 'data-testid="timeline-line"' in page
    assert ">2031-10-30 23:59 Asia/Hong_Kong</time>" in page
    assert "15:59" not in re.sub(r"<[^>]+>", " ", page)  # never the UTC time, never the server's
    assert 'value="23:59"' in page  # the typed deadline reads back as typed


def test_an_invalid_competition_keeps_everything_typed_and_says_what_is_wrong_by_the_field(
    client: Any, organiser: Any
) -> None:
    data = {**DETAILS, "results_at_0": "2031-10-01", "submission_deadline_1": "25:61"}
    response = client.post(reverse("competition-new"), data)
    assert response.status_code == 400
    assert not Competition.objects.exists()
    page = response.content.decode()
    assert 'value="城市 AIGC 挑戰賽 2031"' in page and "創作故事書。" in page
    assert 'value="25:61"' in page
    assert 'data-field="submission_deadline"' in page and "is not a time of day" in page


def test_a_timeline_out_of_order_is_refused_on_the_field_it_concerns(client: Any, organiser: Any) -> None:
    response = client.post(reverse("competition-new"), {**DETAILS, "results_at_0": "2031-10-01"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-field="results_at"' in page and "The timeline must run in order." in page
    assert 'value="2031-10-01"' in page


def test_editing_keeps_untouched_instants_and_reports_nothing_to_change(
    client: Any, competition: Competition
) -> None:
    before = Competition.objects.get(pk=competition.pk)
    response = client.post(reverse("competition-setup", args=[competition.slug]), DETAILS, follow=True)
    assert "Nothing to change." in response.content.decode()
    after = Competition.objects.get(pk=competition.pk)
    assert [getattr(after, f) for f in ("submission_deadline", "results_at")] == [
        before.submission_deadline,
        before.results_at,
    ]


def _theme_data(*titles: str, ids: list[int] | None = None) -> dict[str, Any]:
    data = _management("themes", len(titles), len(ids or []))
    for i, title in enumerate(titles):
        data[f"themes-{i}-title_en"] = title
        data[f"themes-{i}-title_zh_hant"] = f"{title} 繁"
        if ids and i < len(ids):
            data[f"themes-{i}-id"] = str(ids[i])
    return data


def test_themes_are_added_and_belong_to_their_competition(client: Any, competition: Competition) -> None:
    url = reverse("competition-themes", args=[competition.slug])
    assert client.post(url, _theme_data("Green city", "Old and young")).status_code == 302
    assert list(competition.themes.values_list("title_en", flat=True)) == ["Green city", "Old and young"]
    # Two rows with one title are refused on the row, with both rows kept.
    response = client.post(url, _theme_data("Space", "Space"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Another row already has “Space”" in page and page.count('value="Space"') == 2
    assert competition.themes.count() == 2


def _category_data(competition: Competition, **overrides: Any) -> dict[str, Any]:
    theme = competition.themes.first()
    data = {**_management("categories", 1), "categories-0-slug": "primary", "categories-0-name_en": "Primary",
            "categories-0-name_zh_hant": "小學組", "categories-0-school_levels": ["primary", "sen"],
            "categories-0-work_types": ["storybook", "novel"], "categories-0-min_team_size": "1",
            "categories-0-max_team_size": "3", "categories-0-submission_limit": "5",
            "categories-0-max_upload_mb": "20", "categories-0-themes": [str(theme.pk)] if theme else []}  # fmt: skip
    data.update({f"categories-0-{k}": v for k, v in overrides.items()})
    return data


def test_categories_take_eligibility_as_checkboxes_and_only_their_competitions_themes(
    client: Any, competition: Competition, make_competition: Any
) -> None:
    client.post(reverse("competition-themes", args=[competition.slug]), _theme_data("Green city"))
    _other, _category, foreign = make_competition("other-comp")
    url = reverse("competition-categories", args=[competition.slug])
    page = client.get(url).content.decode()
    assert 'type="checkbox" name="categories-0-school_levels" value="primary"' in page
    assert 'name="categories-0-work_types" value="storybook"' in page
    assert foreign.title_en not in page and "Green city" in page
    assert client.post(url, _category_data(competition)).status_code == 302
    category = Category.objects.get(competition=competition)
    assert category.school_levels == ["primary", "sen"] and category.work_types == ["storybook", "novel"]
    assert [t.title_en for t in category.themes.all()] == ["Green city"]
    # Another competition's theme cannot be slipped in.
    response = client.post(url, _category_data(competition, themes=[str(foreign.pk)]))
    assert response.status_code == 400
    assert [t.title_en for t in Category.objects.get(competition=competition).themes.all()] == ["Green city"]


def test_an_invalid_category_keeps_its_values_and_names_the_field(
    client: Any, competition: Competition
) -> None:
    client.post(reverse("competition-themes", args=[competition.slug]), _theme_data("Green city"))
    url = reverse("competition-categories", args=[competition.slug])
    response = client.post(
        url, _category_data(competition, min_team_size="4", max_team_size="2", work_types=[])
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-field="categories-0-max_team_size"' in page
    assert 'data-field="categories-0-work_types"' in page
    assert 'value="小學組"' in page
    assert 'value="sen" id="id_categories-0-school_levels_2" checked' in page
    assert not Category.objects.filter(competition=competition).exists()


def _rubric_data(
    *criteria: tuple[str, str, str], levels: dict[int, list[tuple[str, str]]] | None = None
) -> dict[str, Any]:
    data = _management("criteria", len(criteria))
    for i, (key, name, weight) in enumerate(criteria):
        data.update({f"criteria-{i}-key": key, f"criteria-{i}-name_en": name, f"criteria-{i}-weight": weight,
                     f"criteria-{i}-min_score": "0", f"criteria-{i}-max_score": "10"})  # fmt: skip
        rows = (levels or {}).get(i, [])
        data.update(_management(f"criteria-{i}-levels", max(len(rows), 1)))
        for j, (band, text) in enumerate(rows):
            data[f"criteria-{i}-levels-{j}-band"] = band
            data[f"criteria-{i}-levels-{j}-text"] = text
    return data


def test_a_rubric_whose_weights_total_100_is_saved_with_its_level_descriptors(
    client: Any, competition: Competition
) -> None:
    url = reverse("competition-rubric", args=[competition.slug])
    data = _rubric_data(("creativity", "Creativity", "60"), ("ai_use", "Use of AI", "40"),
                        levels={0: [("0-4", "Little"), ("5-10", "Plenty")]})  # fmt: skip
    assert client.post(url, data).status_code == 302
    criteria = list(Criterion.objects.filter(competition=competition).order_by("order"))
    assert [(c.key, c.weight) for c in criteria] == [("creativity", Decimal(60)), ("ai_use", Decimal(40))]
    assert criteria[0].descriptors == {"0-4": "Little", "5-10": "Plenty"}
    page = client.get(url).content.decode()
    assert 'value="5-10"' in page and 'value="Plenty"' in page


def test_weights_that_do_not_total_100_are_refused_on_the_weight_fields(
    client: Any, competition: Competition
) -> None:
    url = reverse("competition-rubric", args=[competition.slug])
    data = _rubric_data(("creativity", "Creativity", "60"), ("ai_use", "Use of AI", "50"),
                        levels={1: [("9-10", "Outstanding")]})  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-field="criteria-0-weight"' in page and 'data-field="criteria-1-weight"' in page
    assert "The weights add up to 110 %" in page
    assert 'value="Outstanding"' in page and 'value="Use of AI"' in page
    assert not Criterion.objects.filter(competition=competition).exists()


def test_a_level_without_its_meaning_is_refused_beside_it(client: Any, competition: Competition) -> None:
    url = reverse("competition-rubric", args=[competition.slug])
    response = client.post(url, _rubric_data(("creativity", "Creativity", "100"), levels={0: [("7-8", "")]}))
    assert response.status_code == 400
    assert "Say what this band means." in response.content.decode()


def test_a_past_competition_is_copied_with_a_new_slug_and_its_dates_moved(
    client: Any, competition: Competition
) -> None:
    client.post(reverse("competition-themes", args=[competition.slug]), _theme_data("Green city"))
    client.post(reverse("competition-categories", args=[competition.slug]), _category_data(competition))
    client.post(
        reverse("competition-rubric", args=[competition.slug]), _rubric_data(("creativity", "C", "100"))
    )
    url = reverse("competition-clone", args=[competition.slug])
    assert 'value="2032-10-30"' in client.get(url).content.decode()
    response = client.post(
        url, {"slug": "city-2032", "name_en": "City AIGC Challenge 2032", "deadline_day": "2032-10-30"}
    )
    assert response.status_code == 302
    copy = Competition.objects.get(slug="city-2032")
    assert copy.name_en == "City AIGC Challenge 2032" and copy.name_zh_hant == competition.name_zh_hant
    # 366 days later (2032 is a leap year), at the same times of day on the Hong Kong clock.
    assert (
        copy.local(copy.submission_deadline).strftime("%Y-%m-%d %H:%M:%S.%f") == "2032-10-30 23:59:59.999999"
    )
    assert copy.local(copy.results_at).strftime("%Y-%m-%d %H:%M") == "2032-11-13 10:00"
    category = copy.categories.get()
    assert [t.competition_id for t in category.themes.all()] == [copy.pk]
    assert list(copy.criteria.values_list("key", flat=True)) == ["creativity"]
    # A short name already taken is refused on its field, with what was typed kept.
    again = client.post(url, {"slug": "city-2032", "name_en": "Again", "deadline_day": "2033-10-30"})
    assert again.status_code == 400 and 'data-field="slug"' in again.content.decode()
    assert 'value="Again"' in again.content.decode()


def test_only_those_the_rules_allow_reach_the_set_up_pages(
    client: Any, make_user: Any, make_competition: Any
) -> None:
    competition, _category, _theme = make_competition("guarded")
    client.force_login(make_user("teacher.x", "teacher"))
    for name in ("competition-setup", "competition-themes", "competition-categories", "competition-rubric",
                 "competition-clone", "competition-export"):  # fmt: skip
        assert client.get(reverse(name, args=[competition.slug])).status_code == 403, name
    assert client.get(reverse("competition-new")).status_code == 403


def test_the_organiser_home_links_the_set_up_pages(
    client: Any, organiser: Any, make_competition: Any
) -> None:
    from aigc_contest.web.contests.roles_services import make_creator_owner

    linked, _category, _theme = make_competition("linked")
    make_creator_owner(organiser, linked)  # organisers see the competitions they hold a role on
    page = client.get(reverse("organiser-home")).content.decode()
    assert reverse("competition-new") in page and reverse("competition-setup", args=["linked"]) in page


# ---------------------------------------------------------------- the teacher's team form


def test_a_refused_team_keeps_its_name_category_and_members(client: Any, world: Any) -> None:
    client.force_login(world.teacher_a)
    data = {"name": "Team A", "category": str(world.category.pk), "members": [str(world.student_a2.pk)]}
    response = client.post(reverse("school-create-team"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Another team in this category already has that name." in page
    assert 'value="Team A"' in page
    assert f'value="{world.category.pk}" selected' in page
    assert re.search(
        rf'<input type="checkbox" name="members" value="{world.student_a2.pk}" id="[^"]+" checked>', page
    )
    assert not re.search(
        rf'<input type="checkbox" name="members" value="{world.student_a.pk}" id="[^"]+" checked>', page
    )


def test_a_team_the_service_refuses_shows_the_reason_with_the_form_kept(client: Any, world: Any) -> None:
    client.force_login(world.teacher_a)
    # student.a is already in a team of this category.
    data = {"name": "Second", "category": str(world.category.pk), "members": [str(world.student_a.pk)]}
    response = client.post(reverse("school-create-team"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="Second"' in page and "Create team" in page
    assert not world.category.teams.filter(name="Second").exists()


def test_a_theme_used_by_an_entry_is_not_removed_and_the_page_says_why(client: Any, world: Any) -> None:
    client.force_login(world.organiser)
    url = reverse("competition-themes", args=[world.competition.slug])
    data = _theme_data("A greener city", ids=[world.theme.pk])
    data["themes-0-DELETE"] = "on"
    response = client.post(url, data)
    assert response.status_code == 400
    assert "is used by entries or scores and cannot be removed" in response.content.decode()
    assert Theme.objects.filter(pk=world.theme.pk).exists()


def test_the_back_office_offers_only_the_competitions_own_themes_and_check_boxes(
    client: Any, make_user: Any, make_competition: Any
) -> None:
    competition, _category, theme = make_competition("mine")
    _other, _other_category, foreign = make_competition("theirs")
    foreign.title_en = "Somebody else's theme"
    foreign.save()
    from aigc_contest.web.contests.roles_services import make_creator_owner

    boss = make_user("boss", "organiser", is_staff=True, is_superuser=True)
    make_creator_owner(boss, competition)  # the back office asks the same per-competition rules
    client.force_login(boss)
    page = client.get(f"/admin/contests/competition/{competition.pk}/change/").content.decode()
    assert theme.title_en in page and "Somebody else" not in page
    assert 'type="checkbox" name="categories-0-school_levels" value="primary"' in page
    assert 'name="categories-0-work_types"' in page and '<textarea name="categories-0-work_types"' not in page


def test_changing_only_the_zone_keeps_every_instant_and_says_how_the_deadline_now_reads(
    client: Any, competition: Competition
) -> None:
    before = Competition.objects.get(pk=competition.pk).submission_deadline
    response = client.post(
        reverse("competition-setup", args=[competition.slug]),
        {**DETAILS, "timezone": "Europe/London"},
        follow=True,
    )
    after = Competition.objects.get(pk=competition.pk)
    assert after.timezone == "Europe/London" and after.submission_deadline == before
    assert (
        "on the Europe/London clock the submission deadline is now 2031-10-30 15:59"
        in response.content.decode()
    )
