"""`aigc-contest judging aggregate|assign|duplicates`: score aggregation, judge assignment and
near-duplicate evidence from files. (`judging round|results|awards`, a competition's rounds in the
database as a named organiser, are in `judging_rounds.py`.)

Exit codes: 0 ok · 1 a file cannot be read, or no assignment is possible (reasons listed) ·
4 the scores, rubric or assignment problem contain defects (each listed, with CSV line numbers), or
some files of a duplicates folder could not be read (each listed; the pairs of the others are written).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from aigc_contest.cli.common import EXIT_DEFECTS, EXIT_ERROR, EXIT_OK, CliError, print_json

AGGREGATE_METHODS = ("mean", "median", "trimmed", "zscore", "calibrated", "calibrated-scale")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("judging", help="aggregate judges' scores, assign judges, find near-duplicate works")
    commands = parser.add_subparsers(dest="judging_command", metavar="COMMAND")

    agg = commands.add_parser(
        "aggregate", help="scores CSV → ranked results CSV",
        description="Aggregate entry,judge,criterion,score rows into one ranked score per entry.",
    )
    agg.add_argument("scores", metavar="SCORES.csv", help="header entry,judge,criterion,score")
    agg.add_argument("--rubric", required=True, metavar="RUBRIC.json",
                     help='{"criteria": [{"id", "weight", "min", "max"}]}')
    agg.add_argument("--method", required=True, choices=AGGREGATE_METHODS,
                     help="how judges' sheets become one score (zscore/calibrated correct judge bias)")
    agg.add_argument("--out", required=True, metavar="RESULTS.csv", help="entry,score,rank,n_judges,method,tiebreak,…")
    agg.add_argument("--tiebreak", metavar="C1,C2",
                     help="criteria to break score ties, in order (default: rubric order; 'none' to skip)")
    agg.add_argument("--submitted", metavar="TIMES.csv",
                     help="entry,submitted_at (ISO time): earlier submission wins a remaining tie")
    agg.add_argument("--json", action="store_true", help="print agreement statistics (ICC, α, outlier judges)")
    agg.set_defaults(func=run_aggregate)

    asg = commands.add_parser(
        "assign", help="assign k judges per entry (problem JSON → assignment CSV)",
        description="Problem JSON: {k, entries: [{id, category, school, teacher_ids}], judges: [{id, "
                    "min_load, max_load, school, conflicts, conflict_schools, categories}], pins, forbids}.",
    )
    asg.add_argument("problem", metavar="PROBLEM.json")
    asg.add_argument("--out", required=True, metavar="ASSIGNMENT.csv", help="entry,judge,pinned")
    asg.add_argument("--solver", choices=("auto", "flow", "greedy"), default="auto")
    asg.add_argument("--json", action="store_true", help="print judge loads and the solver used")
    asg.set_defaults(func=run_assign)

    dup = commands.add_parser(
        "duplicates", help="near-duplicate pictures and texts in a folder → pairs CSV (advisory)",
        description="Find near-duplicate pairs among the pictures (.png .jpg .jpeg .webp; pHash/dHash) and "
                    "UTF-8 texts (.txt; MinHash on character or word 3-grams, Traditional and Simplified "
                    "Chinese compared alike) anywhere under FOLDER. Advisory evidence: nothing is scored.",
    )
    dup.add_argument("folder", metavar="FOLDER")
    dup.add_argument("--out", required=True, metavar="PAIRS.csv",
                     help="a,b,kind,similarity,explanation (kind image|text, similarity 0–1)")
    dup.add_argument("--json", action="store_true", help="also print the pairs and skipped files as JSON")
    dup.set_defaults(func=run_duplicates)

    from aigc_contest.cli import judging_rounds

    judging_rounds.register(commands)  # judging round …, judging results … (a competition's rounds)
    parser.set_defaults(func=lambda args: parser.print_help() or 2)


def _read_submitted(path: str) -> dict[str, str]:
    import csv

    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames or not {"entry", "submitted_at"} <= set(reader.fieldnames):
                raise CliError(f"{path}: header must be entry,submitted_at", EXIT_DEFECTS)
            times = {}
            problems = []
            for row in reader:
                try:
                    from datetime import datetime

                    datetime.fromisoformat(row["submitted_at"].strip())
                except (ValueError, AttributeError):
                    problems.append(f"line {reader.line_num}: {row.get('submitted_at')!r} is not an ISO time")
                    continue
                times[row["entry"].strip()] = row["submitted_at"].strip()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc}") from exc
    if problems:
        raise CliError(f"{path}: {len(problems)} defect(s)", EXIT_DEFECTS, problems)
    return times


def run_aggregate(args: argparse.Namespace) -> int:
    from aigc_contest.judging.csv_scores import read_scores_csv, write_results_csv
    from aigc_contest.judging.ranking import TieBreakChain
    from aigc_contest.judging.results import evaluate
    from aigc_contest.judging.rubric import RubricError, load_rubric
    from aigc_contest.judging.scores import ScoreDefects

    try:
        rubric = load_rubric(args.rubric)
    except RubricError as exc:
        code = EXIT_ERROR if not Path(args.rubric).is_file() else EXIT_DEFECTS
        raise CliError(str(exc), code) from None
    if not Path(args.scores).is_file():
        raise CliError(f"scores file not found: {args.scores}")
    try:
        sheets = read_scores_csv(args.scores, rubric)
    except ScoreDefects as exc:
        raise CliError(f"{args.scores}: {len(exc.defects)} defect(s) found", EXIT_DEFECTS,
                       [str(d) for d in exc.defects]) from None
    criteria = None
    if args.tiebreak:
        criteria = [] if args.tiebreak.strip().lower() == "none" else [c.strip() for c in args.tiebreak.split(",")]
        unknown = [c for c in criteria if c not in rubric.ids]
        if unknown:
            raise CliError(f"--tiebreak names unknown criteria: {', '.join(unknown)}", EXIT_DEFECTS)
    submitted = _read_submitted(args.submitted) if args.submitted else None
    results = evaluate(sheets, args.method, TieBreakChain(criteria=criteria), submitted)
    try:
        write_results_csv(args.out, results)
    except OSError as exc:
        raise CliError(f"cannot write {args.out}: {exc}") from exc
    if args.json:
        print_json(results.agreement_summary())
    return EXIT_OK


def _load_problem(path: str) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CliError(f"problem file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise CliError(f"{path} is not valid JSON (line {exc.lineno}: {exc.msg})", EXIT_DEFECTS) from None
    if not isinstance(data, dict):
        raise CliError(f"{path}: expected a JSON object with k, entries and judges", EXIT_DEFECTS)
    return data


def run_assign(args: argparse.Namespace) -> int:
    from pydantic import BaseModel, ConfigDict, Field, ValidationError

    from aigc_contest.judging.assignment import (
        AssignmentInputError,
        Entry,
        InfeasibleAssignment,
        Judge,
        assign,
    )
    from aigc_contest.judging.csv_assignments import write_assignment_csv

    class EntryIn(BaseModel):
        model_config = ConfigDict(extra="forbid")
        id: str = Field(min_length=1)
        category: str = Field(min_length=1)
        school: str | None = None
        teacher_ids: list[str] = []

    class JudgeIn(BaseModel):
        model_config = ConfigDict(extra="forbid")
        id: str = Field(min_length=1)
        max_load: int = Field(ge=0)
        min_load: int = Field(default=0, ge=0)
        school: str | None = None
        conflicts: list[str] = []
        conflict_schools: list[str] = []
        categories: list[str] | None = None

    class ProblemIn(BaseModel):
        model_config = ConfigDict(extra="forbid")
        k: int = Field(ge=1)
        entries: list[EntryIn]
        judges: list[JudgeIn]
        pins: list[tuple[str, str]] = []
        forbids: list[tuple[str, str]] = []

    try:
        problem = ProblemIn.model_validate(_load_problem(args.problem))
    except ValidationError as exc:
        details = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise CliError(f"{args.problem}: {len(details)} defect(s)", EXIT_DEFECTS, details) from None
    entries = [Entry(e.id, e.category, e.school, frozenset(e.teacher_ids)) for e in problem.entries]
    judges = [Judge(j.id, j.max_load, j.min_load, j.school, frozenset(j.conflicts), frozenset(j.conflict_schools),
                    None if j.categories is None else frozenset(j.categories)) for j in problem.judges]
    try:
        result = assign(entries, judges, problem.k, pins=problem.pins, forbids=problem.forbids, solver=args.solver)
    except AssignmentInputError as exc:
        raise CliError(f"{args.problem}: {exc}", EXIT_DEFECTS) from None
    except InfeasibleAssignment as exc:
        raise CliError("no assignment is possible", EXIT_ERROR, exc.reasons) from None
    try:
        write_assignment_csv(args.out, result)
    except OSError as exc:
        raise CliError(f"cannot write {args.out}: {exc}") from exc
    if args.json:
        print_json({"solver": result.solver, "pairs": len(result.pairs), "loads": result.loads})
    return EXIT_OK


def run_duplicates(args: argparse.Namespace) -> int:
    import csv

    from aigc_contest.judging.signals.duplicates import Works, near_duplicates

    folder = Path(args.folder)
    if not folder.is_dir():
        raise CliError(f"folder not found: {args.folder}")
    works, problems = Works.from_folder(folder)
    pairs = near_duplicates(works)
    try:
        with open(args.out, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["a", "b", "kind", "similarity", "explanation"])
            for pair in pairs:
                writer.writerow([pair.a, pair.b, pair.kind, f"{pair.similarity:.4f}", pair.explanation])
    except OSError as exc:
        raise CliError(f"cannot write {args.out}: {exc}") from exc
    if args.json:
        print_json({"images": len(works.image_ids), "texts": len(works.text_ids),
                    "pairs": [p.as_dict() for p in pairs], "skipped": problems})
    if problems:
        raise CliError(f"{len(problems)} file(s) under {args.folder} could not be read "
                       f"(pairs among the others written to {args.out})", EXIT_DEFECTS, problems)
    return EXIT_OK
