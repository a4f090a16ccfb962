"""Issues of `acme/platform`: golden-path exception requests among ordinary issues and PRs.

Exception requests come at ~9 a month when the platform is young and fall to ~1.5 as it
matures. The label is spelled in several cases; some carry a `team:X` or `team/X` label; most
are closed after a few days. Those requests name a service of the team in their title (most
have no escape hatch), or a service that does not exist yet. Besides them, most escape hatches
have a request about them (`hatch_requests`), named by a `service:X` label, a `repo:X` label or
the title: most approved (closed) before the hatch's `since`, some still open, some closed after. Pull requests carrying the label and issues without it are there
to be ignored. Titles include HTML, Markdown table pipes, backticks and non-ASCII text, so
every reader has to escape them.
"""

from __future__ import annotations

import bisect
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

# What a request about an escape hatch asks for, by the hatch's first reason
HATCH_TITLES = {
    "gpu": "Exception request: {svc} needs GPU nodes",
    "sidecar": "{svc}: need a sidecar for the Cloud SQL proxy",
    "declared": "Golden path exception for {svc}: {reason}",
    "other": "Request: custom securityContext for `{svc}`",
}
UNNAMED_TITLES = {  # with a `service:X` / `repo:X` label, the title need not name the service
    "gpu": "Exception request: GPU nodes for model serving",
    "sidecar": "Need a sidecar next to the app container",
    "declared": "Golden path exception: {reason}",
    "other": "Request: custom pod securityContext",
}


def hatch_requests(plan: Plan, hatch_since: dict[tuple[str, str], int], rnd: random.Random) -> list[dict]:
    """Exception requests about escape hatches: for 4 in 5 of the hatches in `hatch_since`
    ((repo, service) → the instant the hatch first appears), one request about the service
    (`_in_place_of` then keeps those it can fit in the falling monthly volume).

    3 in 5 were approved (closed) before the hatch's `since`, 1 in 5 is still open, 1 in 5 was
    closed after it. A third name the service by a `service:X` label, a third by a `repo:X`
    label (the repo's full or short name), a third in the title only. `service` in each is the
    intended one."""
    services = {(repo.full_name, svc.name): svc for repo, svc in plan.services()}
    out = []
    # kinds and links in turn (not drawn), so that even a demo with a few hatches has each
    kinds = ("approved", "open", "approved", "after", "approved")
    links = ("service", "title", "repo")
    for i, ((repo, name), since) in enumerate(sorted(hatch_since.items())):
        if i % 5 == 2:  # one hatch in five came without a request
            continue
        kind, link = kinds[len(out) % len(kinds)], links[len(out) % len(links)]
        svc = services[(repo, name)]
        spec = svc.spec
        reason = spec.escape.reasons[0].split(":", 1)[0] if spec is not None and spec.escape is not None else "other"
        declared = spec.escape.declared if spec is not None and spec.escape is not None else None
        if kind == "approved":  # asked, approved, then the hatch was added
            created = max(plan.start_us + DAY, since - int(rnd.uniform(7, 90) * DAY))
            closed = created + int(rnd.uniform(0.2, 0.9) * (since - created))
        elif kind == "open":  # still open: never answered, and the team went ahead (or not yet)
            created = min(plan.as_of_us - DAY, since + int(rnd.uniform(-60, 10) * DAY))
            closed = None
        else:  # approved after the fact
            created = max(plan.start_us + DAY, since - int(rnd.uniform(0, 30) * DAY))
            closed = since + int(rnd.uniform(3, 40) * DAY)
            closed = closed if closed <= plan.as_of_us else None
        created = _working_time(rnd, created, min(created + 3 * DAY, plan.as_of_us))
        if closed is not None and closed <= created:
            closed = created + HOUR
        labels = [rnd.choices(LABEL_SPELLINGS, weights=[0.8, 0.12, 0.08])[0]]
        titles = HATCH_TITLES
        if link == "service":
            labels.append(f"service:{name}")
            titles = UNNAMED_TITLES if rnd.random() < 0.5 else HATCH_TITLES
        elif link == "repo":
            labels.append(f"repo:{repo if rnd.random() < 0.5 else repo.split('/', 1)[1]}")
            titles = UNNAMED_TITLES
        team_label = None
        if rnd.random() < 0.7:
            team_label = svc.team.short
            labels.append(f"team:{team_label}")
        title = titles[reason].format(svc=name, reason=declared or "needs host networking")
        out.append({"created": created, "title": title, "labels": labels, "pr": False,
                    "closed": closed, "team": team_label, "exception": True, "service": name})
    return out


def _in_place_of(general: list[dict], about_hatches: list[dict], window_us: int = 60 * DAY) -> list[dict]:
    """The requests with each request about an escape hatch taking the place of the general
    request nearest in time (within `window_us`), so the monthly volume keeps falling as the
    platform matures; a request about a hatch with no general request near it is left out
    (that hatch has no request)."""
    free = sorted((it["created"], i) for i, it in enumerate(general) if it["title"] != HOSTILE_TITLE)
    replaced: set[int] = set()
    kept = []
    for request in sorted(about_hatches, key=lambda it: it["created"]):
        k = bisect.bisect_left(free, (request["created"], -1))
        near = [j for j in (k - 1, k) if 0 <= j < len(free)]
        if not near:
            continue
        j = min(near, key=lambda j: abs(free[j][0] - request["created"]))
        if abs(free[j][0] - request["created"]) > window_us:
            continue
        replaced.add(free.pop(j)[1])
        kept.append(request)
    return [it for i, it in enumerate(general) if i not in replaced] + kept


def generate_issues(plan: Plan, rng: np.random.Generator, rnd: random.Random,
                    hatch_since: dict[tuple[str, str], int] | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(`raw.issues` frame, intended exception requests frame). `hatch_since` maps each
    in-scope escape hatch (repo, service) to when it first appears in the repo's history."""
    hatch_since = hatch_since or {}
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
            named = None if title == HOSTILE_TITLE or not existing else svc
            items.append({"created": created, "title": title, "labels": labels, "pr": False,
                          "closed": closed, "team": team_label, "exception": True, "service": named})

    items = _in_place_of(items, hatch_requests(plan, hatch_since, random.Random(rnd.getrandbits(64))))
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
                           "labels": it["labels"], "service": it["service"]})
    issues = pl.DataFrame(rows, schema={
        "repo": pl.String, "number": pl.Int64, "title": pl.String, "state": pl.String,
        "created_at": pl.Int64, "closed_at": pl.Int64, "updated_at": pl.Int64,
        "labels": pl.List(pl.String), "is_pull_request": pl.Boolean, "html_url": pl.String,
        "author": pl.String, "fetched_at": pl.Int64})
    exceptions = pl.DataFrame(intent, schema={
        "repo": pl.String, "number": pl.Int64, "title": pl.String, "team": pl.String,
        "created_at": pl.Int64, "closed_at": pl.Int64, "state": pl.String,
        "labels": pl.List(pl.String), "service": pl.String})
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
