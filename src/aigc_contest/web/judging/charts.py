"""Organisers' charts of each judge's scores before and after the method's normalisation, as inline SVG.

Drawn on the server from the core's per-judge summaries (`aigc_contest.judging.distributions`): one
row per judge, a box from the lower to the upper quartile, a line at the median, a dot at the mean and
a whisker from the lowest to the highest score, all on the rubric's 0–100 scale. No script and no
chart library: the picture works in any browser, prints, and carries a title and a description for
screen readers, and every chart comes with a table of the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from aigc_contest.judging.distributions import Distribution

# Okabe–Ito colours (distinguishable with the common colour-vision deficiencies); a judge keeps its
# colour in the before and after charts so the two can be compared row by row.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999933")
WIDTH, ROW, LEFT, RIGHT, TOP, AXIS = 640, 28, 150, 16, 8, 34


@dataclass
class Chart:
    id: str
    title: str
    svg: SafeString
    rows: list[dict[str, object]]  # the same numbers, for the table beside the chart


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _domain(distributions: list[Distribution]) -> tuple[float, float]:
    """0–100, widened to whole tens when a normalised score falls outside (calibration can do that)."""
    lows = [d.min for d in distributions if d.min is not None]
    highs = [d.max for d in distributions if d.max is not None]
    low = min([0.0, *lows])
    high = max([100.0, *highs])
    return math.floor(low / 10) * 10, math.ceil(high / 10) * 10


def box_plot_svg(distributions: list[Distribution], names: dict[str, str], chart_id: str, title: str,
                 domain: tuple[float, float] | None = None) -> SafeString:
    low, high = domain or _domain(distributions)
    span = (high - low) or 1.0
    plot_width = WIDTH - LEFT - RIGHT
    height = TOP + ROW * max(len(distributions), 1) + AXIS

    def x(value: float) -> float:
        return round(LEFT + (value - low) / span * plot_width, 2)

    description = _("One row per judge on the 0–100 scale: the box runs from the lower to the upper quartile, "
                    "the line inside it is the median, the dot is the mean and the whisker runs from the lowest "
                    "to the highest score. The table below gives the same numbers.")
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="judge-chart" id="{escape(chart_id)}" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" style="max-width:{WIDTH}px" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
    ]
    axis_y = TOP + ROW * max(len(distributions), 1)
    grid = ['<g class="axis" font-size="11" fill="#444" stroke="#ccc">']
    step = 10 if span <= 200 else 50
    tick = low
    while tick <= high + 1e-9:
        grid.append(f'<line x1="{x(tick)}" y1="{TOP}" x2="{x(tick)}" y2="{axis_y}"/>')
        grid.append(f'<text x="{x(tick)}" y="{axis_y + 14}" text-anchor="middle" stroke="none">{tick:g}</text>')
        tick += step
    axis_label = _("score (0–100)")  # outside the f-string, where makemessages can find it
    grid.append(f'<text x="{LEFT + plot_width / 2}" y="{axis_y + 29}" text-anchor="middle" stroke="none">'
                f'{escape(axis_label)}</text></g>')
    parts.extend(grid)
    no_scores = _("no scores")
    for row, d in enumerate(distributions):
        name = names.get(d.judge, d.judge)
        colour = PALETTE[row % len(PALETTE)]
        middle = TOP + ROW * row + ROW / 2
        summary = (_("%(judge)s: %(n)d scores, median %(median)s, quartiles %(q1)s–%(q3)s, mean %(mean)s")
                   % {"judge": name, "n": d.n, "median": _fmt(d.median), "q1": _fmt(d.q1), "q3": _fmt(d.q3),
                      "mean": _fmt(d.mean)})
        series = [f'<g class="series" data-judge="{escape(name)}"><title>{escape(summary)}</title>',
                  f'<text x="{LEFT - 8}" y="{middle + 4}" text-anchor="end" font-size="12" fill="#222">'
                  f'{escape(name)}</text>']
        if d.n and None not in (d.min, d.q1, d.median, d.q3, d.max, d.mean):
            assert d.min is not None and d.q1 is not None and d.median is not None  # for the type checker
            assert d.q3 is not None and d.max is not None and d.mean is not None
            box_top, box_height = middle - ROW * 0.3, ROW * 0.6
            series += [
                f'<line class="whisker" x1="{x(d.min)}" y1="{middle}" x2="{x(d.max)}" y2="{middle}" '
                f'stroke="{colour}" stroke-width="1.5"/>',
                f'<rect class="box" x="{x(d.q1)}" y="{box_top}" width="{max(x(d.q3) - x(d.q1), 1)}" '
                f'height="{box_height}" fill="{colour}" fill-opacity="0.25" stroke="{colour}" stroke-width="1.5"/>',
                f'<line class="median" x1="{x(d.median)}" y1="{box_top}" x2="{x(d.median)}" '
                f'y2="{box_top + box_height}" stroke="{colour}" stroke-width="3"/>',
                f'<circle class="mean" cx="{x(d.mean)}" cy="{middle}" r="3.5" fill="#fff" stroke="{colour}" '
                f'stroke-width="2"/>',
            ]
        else:
            series.append(f'<text x="{LEFT + 4}" y="{middle + 4}" font-size="12" fill="#666">'
                          f'{escape(no_scores)}</text>')
        series.append("</g>")
        parts.extend(series)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text and attribute above is escaped


def _rows(distributions: list[Distribution], names: dict[str, str]) -> list[dict[str, object]]:
    return [
        {"judge": names.get(d.judge, d.judge), "n": d.n, "mean": _fmt(d.mean), "sd": _fmt(d.sd), "min": _fmt(d.min),
         "q1": _fmt(d.q1), "median": _fmt(d.median), "q3": _fmt(d.q3), "max": _fmt(d.max)}
        for d in distributions
    ]


def judge_charts(before: list[Distribution], after: list[Distribution], names: dict[str, str], prefix: str,
                 method: str) -> list[Chart]:
    """The before and after charts of one category, drawn on one shared scale."""
    domain = _domain(before + after)
    charts = []
    for key, title, distributions in (
        ("before", _("Each judge's scores before normalisation (raw sheet totals)"), before),
        ("after", _("Each judge's scores after normalisation with %(method)s") % {"method": method}, after),
    ):
        chart_id = f"{prefix}-{key}"
        charts.append(Chart(chart_id, title, box_plot_svg(distributions, names, chart_id, title, domain),
                            _rows(distributions, names)))
    return charts
