"""GitHub Actions workflow runs for every demo repo with workflows, drawn as numpy arrays.

Tens of millions of rows at `large`, so nothing here loops per run: per-repo parameters are
gathered onto run arrays, and the low-cardinality text columns are `pl.Categorical` (4 bytes a
row instead of a string view's 16; `warehouse.conform` casts them to VARCHAR on load).

What the numbers say: golden-path repos fail less and queue less than DIY ones, and seem to
run faster — but that comes from their languages: Java, Kotlin and Rust builds fail more and
run longer on either side, and most of them are DIY (`LANGUAGE_FRICTION`). So compared within
language × team, the failure-rate advantage shrinks and the duration one vanishes;
failed runs are sometimes re-run (`run_attempt` > 1, timed from the first attempt's creation
like GitHub does); runs still going at `as_of` are `queued` / `in_progress` with no conclusion.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.sources.demo.scales import DAY, HOUR, MINUTE, SECOND, WEEK

CONCLUSIONS = ("success", "failure", "cancelled", "timed_out", "startup_failure", "skipped")
# Probabilities of each conclusion but success, for golden-path and DIY repos.
_GOLDEN = np.array([0.090, 0.030, 0.004, 0.002, 0.015])
_DIY = np.array([0.120, 0.050, 0.015, 0.008, 0.020])
# Per language: (failure multiplier, duration multiplier), on either side of the golden path.
LANGUAGE_FRICTION = {"go": (0.6, 0.7), "python": (1.0, 1.0), "typescript": (0.9, 0.9),
                     "javascript": (1.3, 1.0), "java": (2.0, 2.5), "kotlin": (2.0, 2.4), "rust": (1.6, 2.2)}
EVENTS = ("push", "pull_request", "workflow_dispatch", "schedule", "release")
_EVENT_P = np.array([0.52, 0.40, 0.045, 0.035])  # release runs come from release workflows
STATUSES = ("completed", "in_progress", "queued")
BRANCH_POOL = tuple(
    [f"feature/{w}-{i}" for i, w in enumerate(("search", "login", "cache", "retry", "metrics",
                                                "billing", "export", "ui", "grpc", "auth") * 12)]
    + [f"fix/issue-{n}" for n in range(1000, 1080)]
    + [f"dependabot/go_modules/golang.org/x/net-0.{n}.0" for n in range(20, 34)]
    + [f"renovate/{p}-{v}.x" for p in ("node", "python", "java") for v in range(3, 9)]
)
TAG_POOL = tuple(f"v{a}.{b}.{c}" for a in (1, 2) for b in range(10) for c in range(4))


@dataclass
class RepoRuns:
    """Per-repo inputs, one entry per repo with workflows."""

    repo: list[str]
    start_us: np.ndarray  # int64, runs start at repo creation
    end_us: np.ndarray  # int64, activity end (as_of, or archive time)
    rate: np.ndarray  # float, mean runs per week
    golden: np.ndarray  # bool
    default_branch: list[str]
    ci_workflow: np.ndarray  # int: index into `workflows` of the main workflow
    release_workflow: np.ndarray  # int: index into `workflows`, -1 when none
    workflows: list[tuple[int, str, str]]  # (workflow_id, name, path)
    language: list[str | None] | None = None  # the repo's services' language (LANGUAGE_FRICTION)


def generate_runs(inputs: RepoRuns, rng: np.random.Generator, as_of_us: int) -> pl.DataFrame:
    """The `raw.workflow_runs` frame (latest attempt of each run), sorted by `created_at`.

    Timestamps are whole seconds, like GitHub's. Arrays are drawn in their final (time) order
    and handed to Polars one column at a time, so `large` peaks well under 3 GB.
    """
    n_repos = len(inputs.repo)
    weeks = np.maximum(inputs.end_us - inputs.start_us, 0) / WEEK
    counts = rng.poisson(inputs.rate * weeks)
    r = np.repeat(np.arange(n_repos, dtype=np.int32), counts)
    n = r.size

    created = _created_at(rng, inputs.start_us, inputs.end_us, r)
    # A handful of runs in the last quarter hour, so some are still queued or running.
    active = np.flatnonzero(inputs.end_us >= as_of_us)
    n_recent = min(n, max(4, min(200, n // 5000))) if active.size else 0
    recent = rng.integers(0, n, n_recent) if n_recent else np.zeros(0, dtype=np.int64)
    r[recent] = rng.choice(active, n_recent) if n_recent else r[recent]
    created[recent] = as_of_us - rng.integers(MINUTE, 15 * MINUTE, n_recent)

    is_release = inputs.release_workflow[r] >= 0
    is_release &= rng.random(n, dtype=np.float32) < 0.12
    event = rng.choice(4, n, p=_EVENT_P).astype(np.int8)
    event[is_release] = 4
    scheduled = np.flatnonzero(event == 3)
    created[scheduled] = (created[scheduled] // DAY) * DAY + 3 * HOUR  # nightly at 03:00
    del scheduled
    np.maximum(created, inputs.start_us[r], out=created)
    np.minimum(created, np.minimum(inputs.end_us, as_of_us)[r] - SECOND, out=created)
    created -= created % SECOND

    long_queue = np.zeros(n, dtype=bool)
    long_queue[recent[: max(1, n_recent // 3)]] = True  # all runners busy: still queued
    order = np.argsort(created, kind="stable")
    created, r, event = created[order], r[order], event[order]
    is_release, long_queue = is_release[order], long_queue[order]
    del order

    golden = inputs.golden[r]
    flaky = rng.lognormal(0, 0.4, n_repos).astype(np.float32)
    slow = rng.lognormal(0, 0.3, n_repos).astype(np.float32)
    for i, language in enumerate(inputs.language or ()):
        fails_more, runs_longer = LANGUAGE_FRICTION.get(language, (1.0, 1.0))
        flaky[i] *= fails_more
        slow[i] *= runs_longer
    conclusion = _conclusions(rng, golden, r, flaky)

    queue_s = _lognormal(rng, np.where(golden, np.float32(np.log(8.0)), np.float32(np.log(25.0))),
                         np.where(golden, np.float32(0.8), np.float32(1.0)))
    np.minimum(queue_s, 7200, out=queue_s)
    queue_s[long_queue] = rng.integers(20 * 60, 40 * 60, int(long_queue.sum()))
    del long_queue
    duration_s = _lognormal(rng, np.full(n, np.log(420.0), dtype=np.float32), np.float32(0.5))  # either side alike
    duration_s = (duration_s * slow[r]).astype(np.float32)
    duration_s = np.rint(_shape_duration(rng, duration_s, conclusion, golden)).astype(np.int32)
    queue_s = np.rint(queue_s).astype(np.int32)

    # Re-runs: a third of failures (and a few others) get another attempt, sometimes two.
    # GitHub keeps the first attempt's created_at and reports the latest attempt's start.
    failed = (conclusion == 1) | (conclusion == 3) | (conclusion == 4)
    rerun = np.flatnonzero(rng.random(n, dtype=np.float32)
                           < np.where(failed, np.float32(0.33), np.float32(0.01)))
    del failed
    attempt = np.ones(n, dtype=np.int32)
    attempt[rerun] = 2 + (rng.random(rerun.size) < 0.15)
    gap_s = np.rint(np.exp(rng.normal(np.log(600.0), 1.0, rerun.size))).astype(np.int64)
    started = queue_s.astype(np.int64)
    started[rerun] += (duration_s[rerun] + gap_s + queue_s[rerun]) * (attempt[rerun] - 1)
    started *= SECOND
    started += created
    conclusion[rerun] = np.where(rng.random(rerun.size) < 0.7, 0, 1)
    del rerun, gap_s, queue_s
    updated = duration_s.astype(np.int64)
    updated *= SECOND
    updated += started
    del duration_s

    startup = np.flatnonzero(conclusion == 4)
    started[startup] = created[startup]
    updated[startup] = created[startup] + SECOND
    del startup

    # Still going at as_of: queued (not started) or in progress; no conclusion yet.
    status = np.zeros(n, dtype=np.int8)
    queued = np.flatnonzero(started > as_of_us)
    in_progress = np.flatnonzero((updated > as_of_us) & (started <= as_of_us))
    status[in_progress] = 1
    status[queued] = 2
    started[queued] = created[queued]
    updated[queued] = created[queued]
    updated[in_progress] = np.minimum(started[in_progress] + 30 * SECOND, as_of_us)

    branch_code, branch_names = _branches(rng, event, r, inputs.default_branch)
    columns: dict[str, pl.Series] = {}
    columns["repo"] = _categorical(inputs.repo, r)
    columns["run_id"] = pl.Series(4_100_000_000 + np.cumsum(
        rng.integers(1, 60, n, dtype=np.int32), dtype=np.int64))  # grows with time, with gaps
    columns["run_attempt"] = pl.Series(attempt)
    wf_ids = np.array([w[0] for w in inputs.workflows], dtype=np.int64)
    wf_names = sorted({w[1] for w in inputs.workflows})
    wf_paths = sorted({w[2] for w in inputs.workflows})
    name_code = np.array([wf_names.index(w[1]) for w in inputs.workflows], dtype=np.int32)
    path_code = np.array([wf_paths.index(w[2]) for w in inputs.workflows], dtype=np.int32)
    workflow = np.where(is_release, inputs.release_workflow[r], inputs.ci_workflow[r])
    del r, is_release
    columns["workflow_id"] = pl.Series(wf_ids[workflow])
    columns["workflow_name"] = _categorical(wf_names, name_code[workflow])
    columns["workflow_path"] = _categorical(wf_paths, path_code[workflow])
    del workflow
    columns["event"] = _categorical(EVENTS, event)
    columns["status"] = _categorical(STATUSES, status)
    conclusion_code = pl.Series(conclusion.astype(np.uint32))
    if in_progress.size or queued.size:
        conclusion_code = conclusion_code.scatter(np.concatenate([in_progress, queued]), None)
    columns["conclusion"] = pl.Series(list(CONCLUSIONS), dtype=pl.Categorical).gather(conclusion_code)
    del event, status, conclusion, conclusion_code
    columns["head_branch"] = _categorical(branch_names, branch_code)
    del branch_code
    columns["created_at"] = _timestamps(created)
    columns["run_started_at"] = _timestamps(started)
    columns["updated_at"] = _timestamps(updated)
    del created, started, updated
    columns["fetched_at"] = _timestamps(np.full(n, as_of_us, dtype=np.int64))
    return pl.DataFrame(columns)


def _lognormal(rng: np.random.Generator, mu: np.ndarray, sigma: np.ndarray | np.float32) -> np.ndarray:
    """exp(N(mu, sigma)) as float32, one draw per element of `mu`."""
    out = rng.standard_normal(mu.size, dtype=np.float32)
    out *= sigma
    out += mu
    return np.exp(out, out=out)


def _created_at(rng: np.random.Generator, start: np.ndarray, end: np.ndarray,
                r: np.ndarray) -> np.ndarray:
    """Run creation instants of repos `r`: uniform days in [start, end), moved off weekends
    mostly, at working hours mostly."""
    n = r.size
    span = np.maximum(end - start, 1)[r]
    t = (rng.random(n, dtype=np.float32) * span).astype(np.int64)
    del span
    t += start[r]
    day = t // DAY
    dow = (day + 3) % 7  # 0 = Monday (1970-01-01 was a Thursday)
    move = (dow >= 5) & (rng.random(n, dtype=np.float32) < 0.8)
    day[move & (dow == 5)] -= 1
    day[move & (dow == 6)] += 1
    del dow, move
    hour = rng.normal(13.5, 2.6, n).astype(np.float32)
    off_hours = rng.random(n, dtype=np.float32) >= 0.85
    hour[off_hours] = rng.uniform(0, 24, int(off_hours.sum()))
    np.clip(hour, 0, 23.999, out=hour)
    day *= DAY
    day += (hour.astype(np.float64) * HOUR).astype(np.int64)
    return day


def _conclusions(rng: np.random.Generator, golden: np.ndarray, r: np.ndarray,
                 flaky: np.ndarray) -> np.ndarray:
    """Conclusion codes (index into CONCLUSIONS) by inverse CDF on one uniform per run, with
    per-repo cumulative thresholds (a flaky repo fails more)."""
    n_repos = flaky.size
    golden_repo = np.zeros(n_repos, dtype=bool)
    golden_repo[r] = golden
    p = np.where(golden_repo[:, None], _GOLDEN[None, :], _DIY[None, :]).astype(np.float32)
    p[:, 0] *= flaky
    edges = np.cumsum(p, axis=1)
    u = rng.random(r.size, dtype=np.float32)
    out = np.zeros(r.size, dtype=np.int8)
    for code in range(len(CONCLUSIONS) - 1, 0, -1):
        out[u < edges[r, code - 1]] = code
    return out


def _shape_duration(rng: np.random.Generator, duration: np.ndarray, conclusion: np.ndarray,
                    golden: np.ndarray) -> np.ndarray:
    """Durations (s) by conclusion: failures stop early, timeouts hit the job limit."""
    early = np.flatnonzero((conclusion == 1) | (conclusion == 2))
    duration[early] *= rng.uniform(0.2, 1.0, early.size).astype(np.float32)
    timeout = np.flatnonzero(conclusion == 3)
    duration[timeout] = (np.where(golden[timeout], 1800.0, 21600.0)
                         + rng.uniform(1, 20, timeout.size))
    skipped = np.flatnonzero(conclusion == 5)
    duration[skipped] = rng.uniform(1, 4, skipped.size)
    return duration


def _branches(rng: np.random.Generator, event: np.ndarray, r: np.ndarray,
              default_branch: list[str]) -> tuple[np.ndarray, list[str]]:
    """Branch codes and their names: default branch, a PR branch, or a release tag."""
    defaults = sorted(set(default_branch))
    names = defaults + list(BRANCH_POOL) + list(TAG_POOL)
    repo_default = np.array([defaults.index(b) for b in default_branch], dtype=np.int32)
    code = repo_default[r]
    pr = event == 1
    code[pr] = len(defaults) + rng.integers(0, len(BRANCH_POOL), int(pr.sum()))
    rel = event == 4
    code[rel] = len(defaults) + len(BRANCH_POOL) + rng.integers(0, len(TAG_POOL), int(rel.sum()))
    return code, names


def _categorical(values: list[str] | tuple[str, ...], codes: np.ndarray) -> pl.Series:
    return pl.Series(list(values), dtype=pl.Categorical).gather(codes)


def _timestamps(us: np.ndarray) -> pl.Series:
    return pl.Series(us.view("datetime64[us]"))
