"""Issues of `acme/platform`: golden-path exception requests among ordinary issues and PRs.

Exception requests come at ~9 a month when the platform is young and fall to ~1.5 as it
matures. The label is spelled in several cases; some carry a `team:X` or `team/X` label; most
are closed after a few days. Pull requests carrying the label and issues without it are there
to be ignored. Titles include HTML, Markdown table pipes, backticks and non-ASCII text, so
every reader has to escape them.
"""

from __future__ import annotations

import random

import numpy as np
import polars as pl

from pipelines.sources.demo import names
from pipelines.sources.demo.plan import Plan
from pipelines.sources.demo.scales import DAY, HOUR, MONTH
from pipelines.sources.demo_conventions import EXCEPTION_LABEL, PLATFORM_REPO

HOSTILE_TITLE = "<script>alert(1)</script> need GPU"
EXCEPTION_TITLES = (
    "Exception request: {svc} needs GPU nodes",
    "{svc}: need a sidecar for the Cloud SQL proxy",
    "Golden path exception for {svc} (Java 8 runtime)",
    "Can {svc} skip the platform CI? | build takes 40 min",
    "Request: custom securityContext for `{svc}`",
    "Ausnahme: {svc} braucht hostNetwork – Multicast",
    "{svc} needs > 8Gi memory & a custom HPA",
    "Exception: {svc} must run on the legacy node pool",
)
OTHER_ISSUES = (
    ("Bump default memory preset to 512Mi", ["enhancement"]),
    ("Docs: how to add a sidecar the supported way", ["documentation"]),
    ("platform-workflows build.yml fails on arm64 runners", ["bug"]),
    ("Template go-service: update to Go 1.23", ["enhancement", "templates"]),
    ("Flaky: deploy step times out in staging", ["bug", "ci"]),
    ("Question: how do preview namespaces get cleaned up?", ["question"]),
    ("Support for cron jobs in service.yaml", ["enhancement"]),
)
PULL_REQUESTS = (
    ("Add GPU node pool to prod-eu", ["infrastructure"]),
    ("Template: add exception request form", [EXCEPTION_LABEL]),
    ("Allow sidecars in the service spec (RFC)", [EXCEPTION_LABEL, "rfc"]),
    ("Bump actions/checkout to v4 in reusable workflows", ["dependencies"]),
)
LABEL_SPELLINGS = (EXCEPTION_LABEL, "Golden-Path-Exception", "GOLDEN-PATH-EXCEPTION")


def exception_rate(x: float, factor: float) -> float:
    """Mean exception requests a month at fraction `x` of the history: ~9 falling to ~1.5."""
    return factor * (1.5 + 7.5 * (1 - x) ** 1.6)


# A label team no catalog owner matches and no alias maps (a team renamed or gone): pathlens
# lists it as a data-quality warning.
UNKNOWN_TEAM = "ml-research"

def generate_issues(plan: Plan, rng: np.random.Generator,
                    rnd: random.Random) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(`raw.issues` frame, intended exception requests frame)."""
    as_of, start = plan.as_of_us, plan.start_us
    months = plan.scale.months
    team_weights = [t.size * (3 if t.route_around else 1) for t in plan.teams]
    services_by_team: dict[str, list[tuple[int, str]]] = {}
    for repo, svc in plan.services():
        if not (repo.archived or repo.fork or repo.excluded):
            services_by_team.setdefault(svc.team.short, []).append((svc.created_us, svc.name))

    items: list[dict] = []  # created_at, title, labels, is_pr, closed_at, team, exception
    hostile_month = months // 3
    for m in range(months):
        x = m / max(1, months - 1)
        month_start = start + m * MONTH
        count = int(rng.poisson(exception_rate(x, plan.scale.exception_factor)))
        if m == hostile_month:
            count = max(count, 1)
        for j in range(count):
            created = _working_time(rnd, month_start, min(month_start + MONTH, as_of))
            team = rnd.choices(plan.teams, weights=team_weights)[0]
            existing = [name for t, name in services_by_team.get(team.short, []) if t < created]
            svc = rnd.choice(existing) if existing else f"{team.short}-new-service"
            title = HOSTILE_TITLE if (m == hostile_month and j == 0) else \
                rnd.choice(EXCEPTION_TITLES).format(svc=svc)
            labels = [rnd.choices(LABEL_SPELLINGS, weights=[0.8, 0.12, 0.08])[0]]
            style = rnd.random()
            team_label = None
            if style < 0.55:
                labels.append(f"team:{team.short}")
                team_label = team.short
            elif style < 0.625:  # the team's own name: matches its owner without an alias
                labels.append(f"team/{team.name}")
                team_label = team.name
            elif style < 0.7:
                labels.append(f"team/{team.short}")
                team_label = team.short
            elif style < 0.72:  # a team that owns no service: a data-quality warning
                labels.append(f"team:{UNKNOWN_TEAM}")
                team_label = UNKNOWN_TEAM
            if rnd.random() < 0.3:
                labels.append("triage")
            if rnd.random() < 0.1:
                labels.append("priority/high")
            closed = None
            if rnd.random() < 0.88:
                closed = created + int(rnd.lognormvariate(np.log(5.0), 1.0) * DAY)
                closed = closed if closed <= as_of else None
            items.append({"created": created, "title": title, "labels": labels, "pr": False,
                          "closed": closed, "team": team_label, "exception": True})

    n_exceptions = len(items)
    for _ in range(max(3, round(n_exceptions * 1.2))):
        title, labels = rnd.choice(OTHER_ISSUES)
        created = _working_time(rnd, start, as_of)
        closed = created + int(rnd.lognormvariate(np.log(12.0), 1.0) * DAY)
        items.append({"created": created, "title": title, "labels": list(labels), "pr": False,
                      "closed": closed if closed <= as_of and rnd.random() < 0.8 else None,
                      "team": None, "exception": False})
    for i in range(max(2, round(n_exceptions * 0.3))):
        title, labels = PULL_REQUESTS[i % len(PULL_REQUESTS)]
        created = _working_time(rnd, start, as_of)
        closed = created + int(rnd.uniform(0.1, 6) * DAY)
        items.append({"created": created, "title": title, "labels": list(labels), "pr": True,
                      "closed": closed if closed <= as_of else None, "team": None,
                      "exception": False})

    items.sort(key=lambda it: it["created"])
    rows, intent = [], []
    for number, it in enumerate(items, start=1):
        closed = it["closed"]
        updated = closed if closed is not None else min(as_of, it["created"] + int(
            rnd.expovariate(1 / 2) * DAY))
        kind = "pull" if it["pr"] else "issues"
        rows.append({
            "repo": PLATFORM_REPO, "number": number, "title": it["title"],
            "state": "closed" if closed is not None else "open",
            "created_at": it["created"], "closed_at": closed, "updated_at": updated,
            "labels": it["labels"], "is_pull_request": it["pr"],
            "html_url": f"https://github.com/{PLATFORM_REPO}/{kind}/{number}",
            "author": rnd.choice(names.PEOPLE), "fetched_at": as_of,
        })
        if it["exception"]:
            intent.append({"repo": PLATFORM_REPO, "number": number, "title": it["title"],
                           "team": it["team"], "created_at": it["created"], "closed_at": closed,
                           "state": "closed" if closed is not None else "open",
                           "labels": it["labels"]})
    issues = pl.DataFrame(rows, schema={
        "repo": pl.String, "number": pl.Int64, "title": pl.String, "state": pl.String,
        "created_at": pl.Int64, "closed_at": pl.Int64, "updated_at": pl.Int64,
        "labels": pl.List(pl.String), "is_pull_request": pl.Boolean, "html_url": pl.String,
        "author": pl.String, "fetched_at": pl.Int64})
    exceptions = pl.DataFrame(intent, schema={
        "repo": pl.String, "number": pl.Int64, "title": pl.String, "team": pl.String,
        "created_at": pl.Int64, "closed_at": pl.Int64, "state": pl.String,
        "labels": pl.List(pl.String)})
    ts = [c for c in ("created_at", "closed_at", "updated_at", "fetched_at")]
    issues = issues.with_columns(pl.col(c).cast(pl.Datetime("us")) for c in ts)
    exceptions = exceptions.with_columns(pl.col(c).cast(pl.Datetime("us"))
                                         for c in ("created_at", "closed_at"))
    return issues, exceptions


def _working_time(rnd: random.Random, lo: int, hi: int) -> int:
    """A weekday working-hours instant in [lo, hi) (or just before `hi` if none fits)."""
    for _ in range(20):
        t = lo + int(rnd.random() * max(1, hi - lo))
        day = t // DAY
        if (day + 3) % 7 < 5:
            t = day * DAY + int(rnd.uniform(8, 18) * HOUR)
            if lo <= t < hi:
                return t
    return max(lo, hi - HOUR)
