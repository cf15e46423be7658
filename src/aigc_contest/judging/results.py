"""One call from validated sheets to everything a results page needs: scores, ranks, tie-break record,
agreement statistics, outlier judges and per-judge distributions before/after normalisation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from aigc_contest.judging.aggregate import Aggregate, aggregate
from aigc_contest.judging.agreement import (
    ICC,
    JudgeAgreement,
    icc,
    judge_agreement,
    krippendorff_alpha_interval,
)
from aigc_contest.judging.distributions import Distribution, by_judge
from aigc_contest.judging.ranking import Ranking, TieBreakChain, rank_entries
from aigc_contest.judging.scores import Sheets


@dataclass
class ResultRow:
    entry: str
    score: float | None
    rank: int | None
    n_judges: int
    method: str
    tiebreak: str  # chain step that split this entry from the tied entry above; "shared"; "" when not tied
    criteria: dict[str, float | None]


@dataclass
class Results:
    method: str
    rows: list[ResultRow]  # best first, unranked entries last
    ranking: Ranking
    aggregate: Aggregate
    icc: ICC
    alpha_interval: float | None
    judges: list[JudgeAgreement]
    distributions_before: list[Distribution]
    distributions_after: list[Distribution]

    def agreement_summary(self) -> dict[str, object]:
        return {
            "method": self.method,
            "entries": len(self.rows),
            "judges": len(self.judges),
            "sheets": int(len(self.aggregate.raw)),
            "icc": self.icc.as_dict(),
            "icc_form": "ICC(1) one-way random effects, unbalanced (k0); ICC(2,1)/ICC(3,1) only if complete",
            "krippendorff_alpha_interval": self.alpha_interval,
            "tiebreak_chain": self.ranking.chain,
            "ties": [asdict(t) for t in self.ranking.ties],
            "flagged_judges": [asdict(j) for j in self.judges if j.flags and j.flags != ["too few sheets"]],
        }


def evaluate(
    sheets: Sheets,
    method: str = "mean",
    chain: TieBreakChain | None = None,
    submitted_at: Mapping[str, object] | None = None,
    with_distributions: bool = True,
) -> Results:
    agg = aggregate(sheets, method)
    ranking = rank_entries(agg, sheets.rubric.ids, chain, submitted_at)
    raw = agg.raw
    rows = []
    position = {int(e): p for p, e in enumerate(ranking.order)}
    order = sorted(range(len(agg.entry_ids)), key=lambda e: (position.get(e, len(position)), agg.entry_ids[e]))
    for e in order:
        score = float(agg.score[e]) if e in position else None
        criteria = {c: (None if score is None else float(agg.criterion_means[e, i]))
                    for i, c in enumerate(sheets.rubric.ids)}
        rows.append(ResultRow(agg.entry_ids[e], score, ranking.rank[e], int(agg.n_judges[e]), agg.method,
                              ranking.separated_by[e], criteria))
    before = by_judge(sheets.judge, raw, sheets.judge_ids) if with_distributions else []
    after = by_judge(sheets.judge, agg.adjusted, sheets.judge_ids) if with_distributions else []
    return Results(
        method=agg.method,
        rows=rows,
        ranking=ranking,
        aggregate=agg,
        icc=icc(sheets, raw),
        alpha_interval=krippendorff_alpha_interval(sheets.entry, raw),
        judges=judge_agreement(sheets, raw),
        distributions_before=before,
        distributions_after=after,
    )
