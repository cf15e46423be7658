"""`aigc-contest competition apply FILE` / `competition export SLUG`: a whole competition as a TOML file,
applied idempotently, written back byte for byte, through the services the set-up pages use."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from aigc_contest.cli.main import main
from aigc_contest.web.contests import services
from aigc_contest.web.contests.models import Category, Competition, Criterion, Theme
from aigc_contest.web.core.errors import PermissionDenied

pytestmark = pytest.mark.django_db

SPEC = '''
slug = "city-2031"
timezone = "Asia/Hong_Kong"
organiser_name = "City Education Bureau"
judge_signals = ["readability"]

[name]
en = "City AIGC Challenge 2031"
zh-Hant = "城市 AIGC 挑戰賽 2031"
zh-Hans = "城市 AIGC 挑战赛 2031"

[description]
en = """Two lines:
make a storybook."""

[timeline]
registration_opens_at = "2031-09-01 09:00"
submission_opens_at = "2031-09-15 09:00"
submission_deadline = "2031-10-30 23:59"
judging_starts_at = "2031-10-31 00:00"
results_at = "2031-11-13 10:00:30"

[[themes]]
title = { en = "Green city", zh-Hant = "綠色城市" }

[[themes]]
title = { en = "Old and young" }
description = { en = "Friends across generations." }

[[categories]]
slug = "primary"
name = { en = "Primary", zh-Hant = "小學組", zh-Hans = "小学组" }
school_levels = ["primary"]
work_types = ["storybook", "novel"]
max_team_size = 3
themes = ["Green city", "Old and young"]

[[categories]]
slug = "sen"
name = { en = "Special educational needs" }
school_levels = ["sen"]
work_types = ["image"]
any_theme = true

[[criteria]]
key = "creativity"
name = { en = "Creativity", zh-Hant = "創意" }
weight = 33.34
descriptors = { "0-4" = "Little", "5-10" = "Plenty" }

[[criteria]]
key = "ai_use"
name = { en = "Use of AI" }
weight = 33.33

[[criteria]]
key = "theme"
name = { en = "Theme" }
weight = 33.33
max_score = 5
'''


def _cli(capsys: Any, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "city.toml"
    path.write_text(SPEC, encoding="utf-8")
    return path


def test_apply_creates_the_whole_competition_and_says_what_it_created(spec_file: Path, capsys: Any) -> None:
    code, out, _err = _cli(capsys, "competition", "apply", str(spec_file))
    assert code == 0
    assert "created competition city-2031" in out and "created category sen" in out
    assert "created criterion theme" in out and "created theme Green city" in out
    competition = Competition.objects.get(slug="city-2031")
    assert competition.submission_deadline == datetime(2031, 10, 30, 15, 59, 59, 999_999, tzinfo=UTC)
    assert competition.results_at == datetime(2031, 11, 13, 2, 0, 30, tzinfo=UTC)
    assert competition.description_en == "Two lines:\nmake a storybook."
    primary = Category.objects.get(competition=competition, slug="primary")
    assert primary.work_types == ["storybook", "novel"] and primary.school_levels == ["primary"]
    assert [t.title_en for t in primary.themes.order_by("order")] == ["Green city", "Old and young"]
    creativity = Criterion.objects.get(competition=competition, key="creativity")
    assert creativity.weight == Decimal("33.34") and creativity.descriptors == {
        "0-4": "Little",
        "5-10": "Plenty",
    }


def test_applying_twice_changes_nothing_the_second_time(spec_file: Path, capsys: Any) -> None:
    _cli(capsys, "competition", "apply", str(spec_file))
    before = {
        m.__name__: sorted(m.objects.values_list("pk", flat=True)) for m in (Theme, Category, Criterion)
    }
    code, out, _err = _cli(capsys, "competition", "apply", str(spec_file))
    assert code == 0
    assert out.strip() == "competition city-2031: nothing to change"
    assert before == {
        m.__name__: sorted(m.objects.values_list("pk", flat=True)) for m in (Theme, Category, Criterion)
    }


def test_apply_brings_an_existing_competition_to_the_file_and_lists_each_change(
    spec_file: Path, capsys: Any, tmp_path: Path
) -> None:
    _cli(capsys, "competition", "apply", str(spec_file))
    changed = (
        SPEC.replace("max_team_size = 3", "max_team_size = 4")
        .replace('submission_deadline = "2031-10-30 23:59"', 'submission_deadline = "2031-10-29 23:59"')
        .replace('[[categories]]\nslug = "sen"', '[[categories]]\nslug = "open"')
    )
    path = tmp_path / "changed.toml"
    path.write_text(changed, encoding="utf-8")
    code, out, _err = _cli(capsys, "competition", "apply", str(path))
    assert code == 0
    lines = out.splitlines()
    assert "changed competition city-2031: submission_deadline" in lines
    assert "changed category primary: max_team_size" in lines
    assert "removed category sen" in lines and "created category open" in lines


def test_export_then_apply_on_an_empty_database_then_export_gives_the_same_file(
    spec_file: Path, capsys: Any, tmp_path: Path
) -> None:
    _cli(capsys, "competition", "apply", str(spec_file))
    first = tmp_path / "first.toml"
    assert _cli(capsys, "competition", "export", "city-2031", "--out", str(first))[0] == 0
    Competition.objects.all().delete()
    assert not Theme.objects.exists()
    code, out, _err = _cli(capsys, "competition", "apply", str(first))
    assert code == 0 and "created competition city-2031" in out
    code, second, _err = _cli(capsys, "competition", "export", "city-2031")
    assert code == 0
    assert second == first.read_text(encoding="utf-8")
    assert 'results_at = "2031-11-13 10:00:30"' in second  # typed on the competition's clock, seconds kept
    assert 'submission_deadline = "2031-10-30 23:59"' in second


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("weight = 33.34", "weight = 43.34", "criteria.weight: The weights add up to 110 %"),
        ('school_levels = ["sen"]', 'school_levels = ["martian"]', "categories.1.school_levels: Unknown school levels: martian"),
        ('"2031-10-30 23:59"', '"2031-10-30 24:59"', "submission_deadline:"),
        ('results_at = "2031-11-13 10:00:30"', 'results_at = "2031-10-01 10:00"', "results_at: The timeline must run in order."),
        ('themes = ["Green city", "Old and young"]', 'themes = ["Green city", "Moon"]', "categories.0.themes:"),
        ('max_team_size = 3', 'max_team_size = 3\ncolour = "red"', "categories.0: Unknown keys: colour"),
    ],
)  # fmt: skip
def test_a_file_with_defects_changes_nothing_and_lists_each(
    tmp_path: Path, capsys: Any, old: str, new: str, expected: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(SPEC.replace(old, new), encoding="utf-8")
    code, _out, err = _cli(capsys, "competition", "apply", str(path))
    assert code == 4
    assert expected in err
    assert not Competition.objects.exists()


def test_export_of_an_unknown_competition_is_an_error(capsys: Any) -> None:
    code, _out, err = _cli(capsys, "competition", "export", "nowhere")
    assert code == 1 and "no competition 'nowhere'" in err


def test_the_services_ask_the_rules_for_a_signed_in_person(make_user: Any) -> None:
    teacher = make_user("teacher.x", "teacher")
    with pytest.raises(PermissionDenied):
        services.apply_spec(teacher, services.load_toml(SPEC))
    assert not Competition.objects.exists()
    organiser = make_user("org", "organiser")
    competition, report = services.apply_spec(organiser, services.load_toml(SPEC))
    assert report.changed and competition.slug == "city-2031"
    with pytest.raises(PermissionDenied):
        services.save_rubric(teacher, competition, [])


def test_the_readmes_example_file_applies(tmp_path: Path, capsys: Any) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### A competition as a file") :]
    example = section[
        section.index("```toml\n") + len("```toml\n") : section.index("```\n", section.index("```toml"))
    ]
    path = tmp_path / "example.toml"
    path.write_text(example, encoding="utf-8")
    code, out, err = _cli(capsys, "competition", "apply", str(path))
    assert code == 0, err
    assert "created competition city-2031" in out
    assert (
        _cli(capsys, "competition", "apply", str(path))[1].strip()
        == "competition city-2031: nothing to change"
    )


def test_a_dry_run_says_what_would_change_and_changes_nothing(spec_file: Path, capsys: Any) -> None:
    code, out, _err = _cli(capsys, "competition", "apply", str(spec_file), "--dry-run")
    assert code == 0 and "would have created competition city-2031" in out
    assert not Competition.objects.exists()
