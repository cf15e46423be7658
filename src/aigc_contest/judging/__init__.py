"""Judging core (pure Python, no Django): rubric maths, assignment, aggregation, agreement, ranking.

Typical use:
    rubric = load_rubric("rubric.json")
    sheets = read_scores_csv("scores.csv", rubric)        # ScoreDefects lists bad lines
    results = evaluate(sheets, method="zscore@1")          # scores, ranks, tie-break record, agreement
    plan = assign(entries, judges, k=3, pins=[...])        # InfeasibleAssignment says which entries
"""

from aigc_contest.judging.aggregate import METHODS, Aggregate, aggregate, resolve_method
from aigc_contest.judging.agreement import icc, judge_agreement, krippendorff_alpha_interval
from aigc_contest.judging.assignment import (
    Assignment,
    AssignmentInputError,
    Entry,
    InfeasibleAssignment,
    Judge,
    assign,
    check_assignment,
    conflict_reason,
)
from aigc_contest.judging.csv_scores import parse_scores_csv, read_scores_csv, write_results_csv
from aigc_contest.judging.ranking import Ranking, TieBreakChain, rank_entries
from aigc_contest.judging.results import Results, evaluate
from aigc_contest.judging.rubric import Criterion, Rubric, RubricError, load_rubric, parse_rubric
from aigc_contest.judging.scores import Defect, ScoreDefects, Sheets, sheets_from_arrays, sheets_from_rows

__all__ = [
    "METHODS", "Aggregate", "Assignment", "AssignmentInputError", "Criterion", "Defect", "Entry",
    "InfeasibleAssignment", "Judge", "Ranking", "Results", "Rubric", "RubricError", "ScoreDefects", "Sheets",
    "TieBreakChain", "aggregate", "assign", "check_assignment", "conflict_reason", "evaluate", "icc",
    "judge_agreement", "krippendorff_alpha_interval", "load_rubric", "parse_rubric", "parse_scores_csv",
    "rank_entries", "read_scores_csv", "resolve_method", "sheets_from_arrays", "sheets_from_rows",
    "write_results_csv",
]
