"""`aigc-contest judging round …` and `judging results …`: running a competition's judging rounds from the
command line, as a named organiser (`--as USERNAME`), through the services the organiser's pages and the
JSON API call.

    judging round list SLUG
    judging round open SLUG KIND [--judges-per-entry K]
    judging round judge SLUG KIND USERNAME [--min-load N] [--max-load N] [--category SLUG …]
    judging round assign SLUG KIND [--seed S] [--reassign] [--early]
    judging round due-date SLUG KIND (DUE | --none) [--remind-days-before N]
    judging round close SLUG KIND | judging round reopen SLUG KIND
    judging round promote SLUG KIND [--top N | --cut-off X] [--method M] [--to KIND] [--judges-per-entry K]
    judging round plan SLUG KIND (--top N | --cut-off X | --none)
    judging round shortlist SLUG KIND
    judging results compute SLUG KIND --method M
    judging results confirm SLUG KIND --method M [--accept-few-sheets]
    judging awards places SLUG CATEGORY [--first N] [--second N] [--third N] [--merit N]
    judging awards give SLUG KIND

KIND is screening, scoring or final. Exit codes: 0 ok · 1 refused (unknown account, competition or round,
not allowed, or not now: the reason printed) · 2 usage · 4 the round's scores have defects (each listed).
"""

from __future__ import annotations

import argparse
from typing import Any

from aigc_contest.cli import organiser
from aigc_contest.cli.common import EXIT_DEFECTS, EXIT_OK, CliError, print_json

KINDS = ("screening", "scoring", "final")
METHODS = ("mean", "median", "trimmed", "zscore", "calibrated", "calibrated-scale")
MANAGE = "judging.manage_judging"
AWARD_KINDS = ("first", "second", "third", "merit")  # AwardKind, best first


def register(commands: Any) -> None:
    """Add `round` and `results` to the `judging` command group."""
    rounds = commands.add_parser("round", help="open, assign, close, reopen and promote a competition's judging rounds",
                                 description="A competition's judging rounds (screening → scoring → final).")
    sub = rounds.add_subparsers(dest="round_command", metavar="COMMAND")

    def command(name: str, help_: str, func: Any, *, kind: bool = True, write: bool = True) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=help_, description=help_[0].upper() + help_[1:] + ".")
        parser.add_argument("slug", metavar="SLUG", help="the competition")
        if kind:
            parser.add_argument("kind", metavar="KIND", choices=KINDS, help="screening, scoring or final")
        organiser.add_actor(parser)
        organiser.add_json(parser)
        parser.set_defaults(func=func)
        return parser

    command("list", "list the competition's rounds", run_list, kind=False)
    opened = command("open", "open a round (or change its judges per entry)", run_open)
    opened.add_argument("--judges-per-entry", type=int, default=3, metavar="K", help="judges per entry (1–20)")
    judge = command("judge", "put a judge on the round's panel", run_judge)
    judge.add_argument("username", metavar="USERNAME", help="the judge's account")
    judge.add_argument("--min-load", type=int, default=0, metavar="N", help="fewest entries (default 0)")
    judge.add_argument("--max-load", type=int, default=20, metavar="N", help="most entries (default 20)")
    judge.add_argument("--category", action="append", default=[], metavar="SLUG",
                       help="a category the judge judges (repeat; default every category)")
    assign = command("assign", "give every entry of the round its judges (the exact solver; work done is kept)",
                     run_assign)
    assign.add_argument("--seed", type=int, default=0, help="tie-breaking seed of the solver")
    assign.add_argument("--reassign", action="store_true", help="let go of unstarted solver picks and solve again")
    assign.add_argument("--early", action="store_true", help="confirm assigning before the submission deadline")
    due = command("due-date", "set when the round's score sheets are due, and when judges are reminded", run_due)
    when = due.add_mutually_exclusive_group(required=True)
    when.add_argument("due", nargs="?", metavar="DUE", help='"2031-11-05 23:59" on the competition\'s clock')
    when.add_argument("--none", action="store_true", help="no due date")
    due.add_argument("--remind-days-before", type=int, metavar="N",
                     help="remind judges with sheets left N days before (and on the day)")
    command("close", "close a round for scoring (its scores stay)", run_close)
    command("reopen", "open a closed round for scoring again", run_reopen)
    promote = command("promote", "close the round and send each category's best on to the next round", run_promote)
    rule = promote.add_mutually_exclusive_group()  # neither: the round's planned shortlist (`competition apply`)
    rule.add_argument("--top", type=int, metavar="N", help="the best N of each category (ties with the N-th go too)")
    rule.add_argument("--cut-off", dest="cutoff", type=float, metavar="X", help="every entry scoring at least X (0–100)")
    promote.add_argument("--method", choices=METHODS, default="mean",
                         help="how scores are aggregated when the round has no confirmed results (default mean)")
    promote.add_argument("--to", dest="to", choices=KINDS, help="the round the shortlist goes to (default the next)")
    promote.add_argument("--judges-per-entry", type=int, metavar="K", help="judges per entry in that round")
    promote.add_argument("--accept-few-sheets", action="store_true",
                         help="accept a normalising method with judges who have few score sheets")
    plan = command("plan", "plan the shortlist the round sends on (promote uses it when given no rule)", run_plan)
    planned = plan.add_mutually_exclusive_group(required=True)
    planned.add_argument("--top", type=int, metavar="N", help="the best N of each category")
    planned.add_argument("--cut-off", dest="cutoff", type=float, metavar="X", help="every entry scoring at least X")
    planned.add_argument("--none", action="store_true", help="no plan")
    command("shortlist", "list the entries promoted into the round", run_shortlist)
    rounds.set_defaults(func=lambda args: rounds.print_help() or 2)

    results = commands.add_parser("results", help="compute a round's results, then confirm them",
                                  description="A round's results: computed (nothing recorded), then confirmed.")
    rsub = results.add_subparsers(dest="results_command", metavar="COMMAND")
    for name, help_, func in (("compute", "compute the round's results under a method (nothing is recorded)",
                               run_compute),
                              ("confirm", "record the round's results under a method", run_confirm)):
        parser = rsub.add_parser(name, help=help_, description=help_[0].upper() + help_[1:] + ".")
        parser.add_argument("slug", metavar="SLUG", help="the competition")
        parser.add_argument("kind", metavar="KIND", choices=KINDS, help="screening, scoring or final")
        parser.add_argument("--method", choices=METHODS, required=True, help="how judges' sheets become one score")
        organiser.add_actor(parser)
        organiser.add_json(parser)
        parser.set_defaults(func=func)
    rsub.choices["confirm"].add_argument("--accept-few-sheets", action="store_true",
                                         help="accept a normalising method with judges who have few score sheets")
    results.set_defaults(func=lambda args: results.print_help() or 2)

    awards = commands.add_parser("awards", help="award places per category, and awards from a round's results",
                                 description="Awards: how many places each category gives, then the awards "
                                             "from a round's confirmed ranks.")
    asub = awards.add_subparsers(dest="awards_command", metavar="COMMAND")
    places = asub.add_parser("places", help="set how many places of each award kind a category gives",
                             description="Set how many places of each award kind a category gives (others kept).")
    places.add_argument("slug", metavar="SLUG", help="the competition")
    places.add_argument("category", metavar="CATEGORY", help="the category's short name")
    for kind in AWARD_KINDS:
        places.add_argument(f"--{kind}", type=int, metavar="N", help=f"{kind} places (0–100)")
    organiser.add_actor(places)
    organiser.add_json(places)
    places.set_defaults(func=run_award_places)
    give = asub.add_parser("give", help="give the awards from the round's confirmed ranks",
                           description="Give the awards from the round's confirmed ranks (replacing earlier ones).")
    give.add_argument("slug", metavar="SLUG", help="the competition")
    give.add_argument("kind", metavar="KIND", choices=KINDS, help="screening, scoring or final")
    organiser.add_actor(give)
    organiser.add_json(give)
    give.set_defaults(func=run_give_awards)
    awards.set_defaults(func=lambda args: awards.print_help() or 2)


# ---------------------------------------------------------------- helpers


def _context(args: argparse.Namespace, *, kind: bool = True) -> tuple[Any, Any, Any]:
    organiser.setup()
    user = organiser.actor(args.actor)
    competition = organiser.competition(args.slug, user, MANAGE)
    round_ = organiser.round_of(competition, args.kind) if kind else None
    return user, competition, round_


def round_data(round_: Any) -> dict[str, Any]:
    """A round as the JSON API shows it (due date typed on the competition's clock)."""
    from aigc_contest.web.contests.timeline import Edge, typed_clock

    round_.refresh_from_db()
    competition = round_.competition
    return {
        "kind": round_.kind,
        "judges_per_entry": round_.judges_per_entry,
        "is_open": round_.is_open,
        "judges": [m.judge.username for m in round_.panel.select_related("judge").order_by("judge__username")],
        "source": round_.source.kind if round_.source_id else None,
        "shortlisted": round_.shortlist.count(),
        "assignments": round_.assignments.count(),
        "due_at": " ".join(typed_clock(round_.due_at, competition.zone, Edge.END)) if round_.due_at else None,
        "timezone": competition.timezone,
        "remind_days_before": round_.remind_days_before,
        "promote_top": round_.promote_top,  # the shortlist planned for the next round
        "promote_cutoff": round_.promote_cutoff,
    }


def _round_line(data: dict[str, Any]) -> str:
    state = "open" if data["is_open"] else "closed"
    parts = [f"{data['kind']}: {state}", f"{data['judges_per_entry']} judges per entry",
             f"{len(data['judges'])} on the panel", f"{data['assignments']} assignments"]
    if data["source"]:
        parts.append(f"shortlist of {data['shortlisted']} from {data['source']}")
    if data["promote_top"] is not None:
        parts.append(f"plans to send on the top {data['promote_top']} of each category")
    elif data["promote_cutoff"] is not None:
        parts.append(f"plans to send on every entry scoring at least {data['promote_cutoff']:g}")
    if data["due_at"]:
        parts.append(f"due {data['due_at']} {data['timezone']} (reminders {data['remind_days_before']} days before)")
    return ", ".join(parts)


def _show_round(args: argparse.Namespace, round_: Any, message: str = "") -> int:
    data = round_data(round_)
    if args.json:
        print_json(data)
    else:
        if message:
            print(message)
        print(_round_line(data))
    return EXIT_OK


# What to add to a refusal's message, by the service's code: the option that confirms it.
HINTS = {"few_sheets": "add --accept-few-sheets to go on", "before_deadline": "add --early to assign now"}


def _call(func: Any, *a: Any, **kw: Any) -> Any:
    from aigc_contest.web.core.errors import ServiceError

    try:
        return func(*a, **kw)
    except ServiceError as exc:
        raise organiser.refusal(exc, HINTS.get(exc.code, "")) from exc


def _defects_listed(round_: Any, method: str, exc: CliError) -> CliError:
    """With incomplete scores, every defect on its own line (the service's message names the first five)."""
    if exc.code != EXIT_DEFECTS:
        return exc
    from aigc_contest.web.judging import services

    preview = services.preview_results(round_, method)
    return CliError(f"the {round_.kind} round's scores have {len(preview.defects)} defect(s)", EXIT_DEFECTS,
                    preview.defects)


# ---------------------------------------------------------------- rounds


def run_list(args: argparse.Namespace) -> int:
    _user, competition, _round = _context(args, kind=False)
    rows = [round_data(r) for r in competition.rounds.select_related("competition", "source")]
    if args.json:
        print_json(rows)
    elif not rows:
        print(f"competition {competition.slug}: no rounds yet")
    else:
        for row in rows:
            print(_round_line(row))
    return EXIT_OK


def run_open(args: argparse.Namespace) -> int:
    from aigc_contest.web.judging import services

    user, competition, _round = _context(args, kind=False)
    round_ = _call(services.open_round, user, competition, args.kind, k=args.judges_per_entry)
    return _show_round(args, round_, f"opened the {round_.kind} round of {competition.slug}")


def run_judge(args: argparse.Namespace) -> int:
    from aigc_contest.web.accounts.models import User
    from aigc_contest.web.judging import services

    user, competition, round_ = _context(args)
    judge = User.objects.filter(username=args.username, is_active=True).first()
    if judge is None:
        raise CliError(f"no active account {args.username!r}")
    categories = list(competition.categories.filter(slug__in=args.category))
    unknown = sorted(set(args.category) - {c.slug for c in categories})
    if unknown:
        raise CliError(f"competition {competition.slug!r} has no categories {', '.join(unknown)}")
    _call(services.add_judge, user, round_, judge, min_load=args.min_load, max_load=args.max_load,
          categories=categories)
    return _show_round(args, round_, f"{judge.username} is on the {round_.kind} round's panel")


def run_assign(args: argparse.Namespace) -> int:
    from aigc_contest.web.judging import services

    user, _competition, round_ = _context(args)
    report = _call(services.assign_judges, user, round_, seed=args.seed, reassign=args.reassign, early=args.early)
    data = {"created": report.created, "kept": report.kept, "released": report.released, "solver": report.solver}
    if args.json:
        print_json(data)
    else:
        print(f"{round_.kind} round: {report.created} assignments created, {report.kept} kept, "
              f"{report.released} released (solver {report.solver})")
    return EXIT_OK


def run_due(args: argparse.Namespace) -> int:
    from aigc_contest.web.judging import services

    user, competition, round_ = _context(args)
    due = None if args.none else _call(services.due_from_typed, args.due, competition)
    _call(services.set_due_date, user, round_, due, remind_days_before=args.remind_days_before)
    return _show_round(args, round_, f"the {round_.kind} round is due "
                                     + (f"{args.due.strip()} {competition.timezone}" if due else "on no date"))


def run_close(args: argparse.Namespace) -> int:
    from aigc_contest.web.judging import services

    user, _competition, round_ = _context(args)
    _call(services.close_round, user, round_)
    return _show_round(args, round_, f"closed the {round_.kind} round")


def run_reopen(args: argparse.Namespace) -> int:
    from aigc_contest.web.judging import services

    user, _competition, round_ = _context(args)
    _call(services.reopen_round, user, round_)
    return _show_round(args, round_, f"reopened the {round_.kind} round")


def run_promote(args: argparse.Namespace) -> int:
    from aigc_contest.web.judging import services

    user, _competition, round_ = _context(args)
    try:
        report = _call(services.promote_shortlist, user, round_, top=args.top, cutoff=args.cutoff,
                       method=args.method, kind=args.to, k=args.judges_per_entry,
                       accept_few_sheets=args.accept_few_sheets)
    except CliError as exc:
        raise _defects_listed(round_, args.method, exc) from None
    if args.json:
        print_json({"round": round_data(report.round), "promoted": report.promoted,
                    "per_category": report.per_category, "rule": report.rule, "method": report.method})
        return EXIT_OK
    per_category = ", ".join(f"{slug} {n}" for slug, n in sorted(report.per_category.items())) or "none"
    print(f"promoted {report.promoted} entries ({report.rule}, {report.method}) from the {round_.kind} round "
          f"to the {report.round.kind} round: {per_category}")
    print(_round_line(round_data(report.round)))
    return EXIT_OK


def run_plan(args: argparse.Namespace) -> int:
    from aigc_contest.web.judging import services

    user, _competition, round_ = _context(args)
    _call(services.set_promotion_plan, user, round_, top=args.top, cutoff=args.cutoff)
    return _show_round(args, round_, f"the {round_.kind} round's planned shortlist is saved")


def run_shortlist(args: argparse.Namespace) -> int:
    from aigc_contest.web.judging import selectors

    _user, _competition, round_ = _context(args)
    rows = [{"category": s.entry.category.slug, "entry": s.entry_id, "title": s.entry.title, "rank": s.rank,
             "score": s.score, "method": s.method} for s in selectors.shortlist(round_)]
    if args.json:
        print_json(rows)
    elif not rows:
        print(f"the {round_.kind} round has no shortlist: it judges every submitted entry")
    else:
        for row in rows:
            print(f"{row['category']}\t#{row['rank']}\t{row['score']:.2f}\t{row['entry']}\t{row['title']}")
    return EXIT_OK


# ---------------------------------------------------------------- results


def run_compute(args: argparse.Namespace) -> int:
    from aigc_contest.web.judging import services

    _user, _competition, round_ = _context(args)
    preview = _call(services.preview_results, round_, args.method)
    rows = [{"category": category.slug, "entry": row.entry.pk, "title": row.entry.title, "rank": row.rank,
             "score": row.score, "n_judges": row.n_judges}
            for category, category_rows in preview.categories for row in category_rows]
    few = [{"judge": f.judge, "category": f.category.slug, "sheets": f.sheets} for f in preview.few_sheets]
    if args.json:
        print_json({"method": preview.method, "defects": preview.defects, "few_sheets": few, "results": rows})
    else:
        print(f"{round_.kind} round under {preview.method} (not recorded):")
        for row in rows:
            score = "—" if row["score"] is None else f"{row['score']:.2f}"
            print(f"{row['category']}\t#{row['rank']}\t{score}\t{row['n_judges']} judges\t{row['entry']}\t"
                  f"{row['title']}")
        for f in few:
            print(f"warning: {f['judge']} has only {f['sheets']} score sheets in {f['category']}")
    if preview.defects:
        raise CliError(f"the {round_.kind} round's scores have {len(preview.defects)} defect(s)", EXIT_DEFECTS,
                       preview.defects)
    return EXIT_OK


def run_confirm(args: argparse.Namespace) -> int:
    from aigc_contest.web.judging import services

    user, _competition, round_ = _context(args)
    try:
        count = _call(services.confirm_results, user, round_, args.method,
                      accept_few_sheets=args.accept_few_sheets)
    except CliError as exc:
        raise _defects_listed(round_, args.method, exc) from None
    if args.json:
        print_json({"count": count, "method": args.method})
    else:
        print(f"confirmed {count} results of the {round_.kind} round under {args.method}")
    return EXIT_OK


# ---------------------------------------------------------------- awards


def run_award_places(args: argparse.Namespace) -> int:
    from aigc_contest.web.judging import services

    user, competition, _round = _context(args, kind=False)
    category = competition.categories.filter(slug=args.category).first()
    if category is None:
        have = ", ".join(competition.categories.values_list("slug", flat=True)) or "none"
        raise CliError(f"competition {competition.slug!r} has no category {args.category!r} (categories: {have})")
    given = {kind: getattr(args, kind) for kind in AWARD_KINDS if getattr(args, kind) is not None}
    if given:
        _call(services.set_award_places, user, category, given)
    places = services.award_places(category)
    if args.json:
        print_json(places)
    else:
        print(f"{category.slug}: " + ", ".join(f"{kind} {places.get(kind, 0)}" for kind in AWARD_KINDS))
    return EXIT_OK


def run_give_awards(args: argparse.Namespace) -> int:
    from aigc_contest.web.judging import services

    user, _competition, round_ = _context(args)
    count = _call(services.give_awards, user, round_)
    if args.json:
        print_json({"count": count})
    else:
        print(f"gave {count} awards from the {round_.kind} round's results")
    return EXIT_OK
