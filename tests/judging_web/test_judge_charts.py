"""Organisers' charts of each judge's scores before/after normalisation, and the agreement numbers."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from aigc_contest.judging.distributions import by_judge

SVG = "{http://www.w3.org/2000/svg}"


def _distributions(names: list[str], values: dict[str, list[float]]):  # type: ignore[no-untyped-def]
    judge = np.array([names.index(n) for n in names for _ in values[n]], dtype=np.int64)
    scores = np.array([v for n in names for v in values[n]], dtype=float)
    return by_judge(judge, scores, names)


def test_one_series_per_judge_in_well_formed_accessible_svg() -> None:
    from aigc_contest.web.judging.charts import box_plot_svg

    ids = ["11", "12", "13"]
    distributions = _distributions(ids, {"11": [40, 55, 70], "12": [80, 90], "13": []})
    names = {"11": "judge.<b>&", "12": "judge.two", "13": "judge.none"}
    svg = box_plot_svg(distributions, names, "c1", "Before")
    root = ET.fromstring(str(svg))  # escaped names keep the document well-formed
    assert root.get("role") == "img" and root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{SVG}title").text == "Before" and root.find(f"{SVG}desc").text
    series = [g for g in root.iter(f"{SVG}g") if g.get("class") == "series"]
    assert [g.get("data-judge") for g in series] == ["judge.<b>&", "judge.two", "judge.none"]
    assert [len([r for r in g if r.get("class") == "box"]) for g in series] == [1, 1, 0]  # no scores: no box
    first_box = next(r for r in series[0] if r.get("class") == "box")
    median = next(r for r in series[0] if r.get("class") == "median")
    # 0–100 mapped onto the plot: quartiles 47.5 and 62.5, median 55.
    left, width = 150, 640 - 150 - 16
    assert float(first_box.get("x")) == pytest.approx(left + 0.475 * width, abs=0.01)
    assert float(median.get("x1")) == pytest.approx(left + 0.55 * width, abs=0.01)


def test_the_scale_widens_for_scores_outside_0_to_100() -> None:
    from aigc_contest.web.judging.charts import judge_charts

    before = _distributions(["1"], {"1": [10, 20, 30]})
    after = _distributions(["1"], {"1": [-12.0, 50, 104]})
    charts = judge_charts(before, after, {"1": "judge"}, "p", "calibrated@1")
    assert [c.id for c in charts] == ["p-before", "p-after"]
    ticks = re.findall(r'text-anchor="middle" stroke="none">(-?\d+)</text>', str(charts[1].svg))
    assert ticks[0] == "-20" and ticks[-1] == "110"
    assert charts[1].rows == [{"judge": "judge", "n": 3, "mean": "47.3", "sd": "47.4", "min": "-12.0", "q1": "19.0",
                               "median": "50.0", "q3": "77.0", "max": "104.0"}]


@pytest.mark.django_db
def test_outlier_judges_are_flagged_with_their_names() -> None:
    from aigc_contest import judging as core
    from aigc_contest.web.judging.models import Round
    from aigc_contest.web.judging.services import CategoryAnalysis
    from aigc_contest.web.judging.views import _analysis_view

    rubric = core.parse_rubric({"criteria": [{"id": "q", "weight": 1, "min": 0, "max": 10}]})
    rng = np.random.default_rng(3)
    quality = rng.uniform(2, 9, size=12)
    rows = []
    for e, q in enumerate(quality):
        for j in ("1", "2", "3"):
            rows.append((f"e{e}", j, "q", float(np.clip(q + rng.normal(0, 0.3), 0, 10))))
        rows.append((f"e{e}", "4", "q", float(np.clip(11 - q, 0, 10))))  # judge 4 ranks everything backwards
    sheets = core.sheets_from_rows(rows, rubric)
    results = core.evaluate(sheets, "zscore@1")

    class FakeCategory:
        pk = 7

    analysis = CategoryAnalysis(FakeCategory(), results.icc, results.alpha_interval, results.judges,  # type: ignore[arg-type]
                                results.distributions_before, results.distributions_after,
                                {"1": "ann", "2": "bo", "3": "cy", "4": "dee"})
    view = _analysis_view(analysis, Round(pk=3), "zscore@1")
    assert [f["name"] for f in view["flagged"]] == ["dee"]
    assert len(view["charts"]) == 2 and all(str(c.svg).count('class="series"') == 4 for c in view["charts"])


@pytest.mark.django_db
def test_organiser_page_shows_charts_tables_and_agreement(judged, score_all, client) -> None:  # type: ignore[no-untyped-def]
    from aigc_contest.web.judging.models import Assignment

    j = judged
    score_all(j, {(j.entry.pk, "judge"): (9, 8), (j.entry_b.pk, "judge"): (3, 2)})
    client.force_login(j.organiser)
    html = client.get(f"/organiser/{j.competition.slug}/judging/", {"round": j.round.pk, "method": "zscore"}
                      ).content.decode()
    judges = set(Assignment.objects.filter(round=j.round).values_list("judge__username", flat=True))
    svgs = re.findall(r"<svg .*?</svg>", html, flags=re.S)
    assert len(svgs) == 2  # one category: before and after
    for svg in svgs:
        assert set(re.findall(r'class="series" data-judge="([^"]+)"', svg)) == judges
    assert "after normalisation with zscore@1" in html
    tables = re.findall(r'<table class="chart-data" data-chart="([^"]+)">(.*?)</table>', html, flags=re.S)
    assert [t[0] for t in tables] == [f"chart-{j.round.pk}-{j.category.pk}-before",
                                      f"chart-{j.round.pk}-{j.category.pk}-after"]
    assert all(t[1].count('<th scope="row">') == len(judges) for t in tables)
    assert "ICC(1), one judge" in html and "Krippendorff" in html and "No judge stands apart" in html
    # Other people never see the page.
    for user in (j.judge, j.teacher_a, j.student_a):
        client.force_login(user)
        assert client.get(f"/organiser/{j.competition.slug}/judging/",
                          {"round": j.round.pk, "method": "zscore"}).status_code == 403
