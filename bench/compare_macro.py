"""A table macro's results in two warehouses, compared row for row (EXCEPT ALL both ways).

For a change that must not move a number: build one warehouse before the change and one
after (or apply the new models to a copy), then call the macro in each with the same
arguments — no filter, every team, every language, periods and instants (month-aligned and
cutting through months), combinations — and count the rows each result has that the other
lacks. Prints JSON: the cases run, their differing row counts, and the column types of each
side (which must match too).

Usage: python bench/compare_macro.py BEFORE.duckdb AFTER.duckdb [--macro marts.ci_by_month]
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime, time, timedelta

import duckdb

QUERY = "select * from {macro}(teams := $teams, languages := $languages, start := $start, stop := $stop)"


def cases(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """The argument sets to try, read from the warehouse itself (its teams, languages, months)."""
    teams = [t for (t,) in con.sql("select distinct owner from marts.services order by owner nulls first").fetchall()]
    languages = [x for (x,) in con.sql(
        "select distinct language from marts.services order by language nulls first").fetchall()]
    first, last = con.sql("select min(created_at), max(created_at) from marts.ci_runs").fetchall()[0]
    as_of = con.sql("select as_of from config.settings").fetchall()[0][0]
    none = {"teams": None, "languages": None, "start": None, "stop": None}
    out: dict[str, dict] = {"no filter": none}
    first_month = datetime(first.year, first.month, 1)
    # the dashboard's default period: the first month through the day after the refresh's day
    out["dashboard default period"] = {**none, "start": first_month,
                                       "stop": datetime.combine(as_of.date(), time.min) + timedelta(days=1)}
    for t in teams:
        out[f"team {t}"] = {**none, "teams": [t]}
    out["two teams"] = {**none, "teams": [t for t in teams if t][:2]}
    for lang in languages:
        out[f"language {lang}"] = {**none, "languages": [lang]}
    out["team and language"] = {**none, "teams": [t for t in teams if t][:3], "languages": [x for x in languages if x][:2]}
    mid = datetime(first.year + (first.month + 11) // 12, (first.month + 11) % 12 + 1, 1)  # a year in
    late = datetime(last.year, last.month, 1)
    periods = {
        "period: whole months": (mid, late),
        "period: from a month": (mid, None),
        "period: up to a month": (None, mid),
        "period: as dates": (mid.date(), late.date()),
        "period: as text": (mid.isoformat(sep=" "), late.isoformat(sep=" ")),
        "period: cut mid-month": (datetime(mid.year, mid.month, 15, 12, 30), datetime(late.year, late.month, 10, 6)),
        "period: one instant": (datetime(mid.year, mid.month, 15, 12), datetime(mid.year, mid.month, 15, 12)),
        "period: one day": (datetime(mid.year, mid.month, 15), datetime(mid.year, mid.month, 16)),
        "period: empty (stop before start)": (late, mid),
        "period: after every run": (datetime(as_of.year + 1, 1, 1), None),
    }
    for name, (start, stop) in periods.items():
        out[name] = {**none, "start": start, "stop": stop}
    run_instants = [t for (t,) in con.sql(
        "(select created_at from marts.ci_runs where created_at >= $a order by created_at limit 1 offset 7) "
        "union all (select created_at from marts.ci_runs where created_at >= $b order by created_at limit 1)",
        params={"a": datetime(mid.year, mid.month, 9), "b": datetime(late.year, late.month, 3)}).fetchall()]
    if len(run_instants) == 2:  # bounds falling exactly on runs: start inclusive, stop exclusive
        out["period: from one run's instant to another's"] = {**none, "start": run_instants[0], "stop": run_instants[1]}
    some_team = next(t for t in teams if t)
    out["team, cut period"] = {**none, "teams": [some_team], "start": periods["period: cut mid-month"][0],
                               "stop": periods["period: cut mid-month"][1]}
    out["language, whole-month period"] = {**none, "languages": [languages[-1]], "start": mid, "stop": late}
    out["no team, one day"] = {**none, "teams": [None], "start": periods["period: one day"][0],
                               "stop": periods["period: one day"][1]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--macro", default="marts.ci_by_month")
    args = parser.parse_args()
    before = duckdb.connect(args.before, read_only=True)
    after = duckdb.connect(args.after, read_only=True)
    scratch = duckdb.connect()
    query = QUERY.format(macro=args.macro)
    results = {}
    for name, params in cases(after).items():
        a = before.sql(query, params=params).arrow().read_all()
        b = after.sql(query, params=params).arrow().read_all()
        scratch.register("a", a)
        scratch.register("b", b)
        only_before = scratch.sql("select count(*) from (select * from a except all select * from b)").fetchall()[0][0]
        only_after = scratch.sql("select count(*) from (select * from b except all select * from a)").fetchall()[0][0]
        results[name] = {"rows_before": a.num_rows, "rows_after": b.num_rows, "only_before": only_before,
                         "only_after": only_after, "same_types": a.schema == b.schema}
    differing = [n for n, r in results.items() if r["only_before"] or r["only_after"] or not r["same_types"]]
    print(json.dumps({"macro": args.macro, "before": args.before, "after": args.after, "cases": len(results),
                      "rows_compared": sum(r["rows_before"] for r in results.values()),
                      "differing_cases": differing, "results": results}, indent=1, default=str))


if __name__ == "__main__":
    main()
