"""The demo organisation's past: every version of the files pathlens reads, as git history.

The plan (plan.py) is the organisation as it is today. Its past is made by undoing changes:
each repo gets a few dated events (a golden path adopted late, a golden path left, an escape
hatch added or removed, an owner change, a catalog broken by a merge conflict then fixed, the
platform CI adopted, a service spec deleted and re-added, a template update, plain edits), and
the files are rendered as they were before each event. Consecutive renders that differ become
default-branch commits, written as `raw.repo_file_versions` rows exactly as the GitHub source
writes them, so the history models read the demo through the same code as a live organisation.
The newest version of every file is the one `raw.repo_files` holds.

`HistoryEvent` rows record what was meant (service, kind, when), for the end-to-end tests.
Events are drawn from their own random stream: the rest of the organisation does not change.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from pipelines.sources.demo import escapes, files, ids
from pipelines.sources.demo.plan import Plan, Repo, Spec, Team, image_for
from pipelines.sources.demo.scales import DAY, HOUR, SECOND
from pipelines.sources.demo_conventions import TEMPLATE_FOR_LANGUAGE, template_ref

# When the platform shipped `service.kubernetes_override` (fraction of the demo's history):
# escape hatches appear only after it, more of them later, while exception requests fall.
ESCAPE_HATCH_SHIPPED = 0.45
MERGE_CONFLICT = "<<<<<<< HEAD\n"


@dataclass(frozen=True)
class HistoryEvent:
    repo: str
    service: str | None
    kind: str  # adopted_golden_path | left_golden_path | escape_hatch_added | ...
    at_us: int


Undo = Callable[[Repo], None]


def generate_versions(plan: Plan, rnd: random.Random) -> tuple[pl.DataFrame, list[HistoryEvent]]:
    """(`raw.repo_file_versions` frame, the events it was made from) for every in-scope repo."""
    rows: dict[str, list] = {c: [] for c in ("repo", "path", "commit_sha", "committed_at", "blob_sha",
                                             "size", "content", "deleted")}
    events_out: list[HistoryEvent] = []
    shipped_us = plan.start_us + int(ESCAPE_HATCH_SHIPPED * (plan.as_of_us - plan.start_us))
    for repo in plan.repos:
        if repo.archived or repo.fork or repo.excluded:
            continue  # history is not read for repos out of scope
        current = files.render(repo)
        if not current:
            continue
        first_us, events = _events(repo, rnd, plan, shipped_us)
        events_out += [HistoryEvent(repo.full_name, svc, kind, at) for at, kind, svc, _ in events]
        before: dict[str, str] = {}
        for at_us, texts in _timeline(repo, current, first_us, events):
            _commit(rows, repo.full_name, at_us, before, texts, rnd)
            before = texts
    frame = pl.DataFrame(rows, schema={
        "repo": pl.String, "path": pl.String, "commit_sha": pl.String, "committed_at": pl.Int64,
        "blob_sha": pl.String, "size": pl.Int64, "content": pl.String, "deleted": pl.Boolean})
    frame = frame.with_columns(pl.col("committed_at").cast(pl.Datetime("us")),
                               fetched_at=pl.lit(plan.as_of_us).cast(pl.Datetime("us")))
    return frame, sorted(events_out, key=lambda e: (e.at_us, e.repo, e.kind))


def _timeline(repo: Repo, current: dict[str, str], first_us: int,
              events: list[tuple[int, str, str | None, Undo]]) -> list[tuple[int, dict[str, str]]]:
    """[(instant, every file's text from then on)], oldest first; the last one is `current`."""
    out: list[tuple[int, dict[str, str]]] = []
    state, texts = repo, current
    for at_us, _kind, _svc, undo in sorted(events, key=lambda e: e[0], reverse=True):
        out.append((at_us, texts))
        state = _clone(state)
        undo(state)
        texts = _render(state)
    out.append((first_us, texts))
    out.reverse()
    return out


def _clone(repo: Repo) -> Repo:
    """A copy of `repo` an undo may change: its services, spec and answers copied, teams and
    escape hatches (never changed in place) shared. Far cheaper than a deep copy."""
    out = copy.copy(repo)
    spec = copy.copy(repo.spec) if repo.spec is not None else None
    out.spec, out.answers = spec, copy.copy(repo.answers)
    out.services = []
    for svc in repo.services:
        clone = copy.copy(svc)
        if svc.spec is not None:
            clone.spec = spec if svc.spec is repo.spec else copy.copy(svc.spec)
        out.services.append(clone)
    return out


def _render(state: Repo) -> dict[str, str]:
    texts = files.render(state)
    if getattr(state, "broken_catalog", False) and files.CATALOG in texts:
        # a merge conflict committed by mistake: not YAML any more
        texts[files.CATALOG] = MERGE_CONFLICT + texts[files.CATALOG] + "=======\n>>>>>>> feature\n"
    return texts


def _commit(rows: dict[str, list], repo: str, at_us: int, before: dict[str, str],
            texts: dict[str, str], rnd: random.Random) -> None:
    """One default-branch commit: a row per file it adds, changes or deletes (none: no commit)."""
    changed = {p: t for p, t in texts.items() if before.get(p) != t}
    deleted = [p for p in before if p not in texts]
    if not changed and not deleted:
        return
    sha = f"{rnd.getrandbits(160):040x}"
    at = at_us // SECOND * SECOND
    for path, text in sorted(changed.items()):
        blob, size = ids.git_blob_sha(text)
        for col, value in zip(rows, (repo, path, sha, at, blob, size, text, False), strict=True):
            rows[col].append(value)
    for path in sorted(deleted):
        for col, value in zip(rows, (repo, path, sha, at, None, None, None, True), strict=True):
            rows[col].append(value)


def _events(repo: Repo, rnd: random.Random, plan: Plan,
            shipped_us: int) -> tuple[int, list[tuple[int, str, str | None, Undo]]]:
    """(first commit instant, [(instant, kind, service, undo)]) for one repo.

    Each undo turns the repo as it is after the event into the repo as it was before it.
    """
    as_of_us = plan.as_of_us
    first_us = repo.created_us
    single = repo.services[0] if len(repo.services) == 1 and repo.kind in ("service", "uncatalogued") else None
    if single is not None and rnd.random() < 0.04:  # history imported from elsewhere
        first_us = repo.created_us - int(rnd.uniform(5, 60) * DAY)
    life = as_of_us - repo.created_us
    events: list[tuple[int, str, str | None, Undo]] = []

    def at(lo: float, hi: float, floor_us: int | None = None) -> int:
        start = max(repo.created_us, floor_us or 0)
        t = start + int(rnd.uniform(lo, hi) * (as_of_us - start))
        return min(max(t, repo.created_us + HOUR), as_of_us - 2 * HOUR)

    def add(when: int, kind: str, undo: Undo) -> None:
        events.append((when, kind, single.name if single else None, undo))

    if single is None or life < 40 * DAY:
        if repo.ci is not None and repo.services and rnd.random() < 0.3:
            events.append((at(0.2, 0.9), "edited", None, _noop))
        return first_us, events
    svc, spec = single, single.spec
    template = TEMPLATE_FOR_LANGUAGE.get(svc.language)

    # Files added after the repo's creation only in repos younger than the history read
    # (history.backfill_days, 730 by default): in older ones a file's oldest version counts
    # from the window's start (sql/staging/file_versions.sql), so the addition would not show.
    young = repo.created_us > as_of_us - 700 * DAY
    if svc.golden and young and rnd.random() < 0.14:
        add(at(0.2, 0.7), "adopted_golden_path", _undo_golden)
    elif not svc.golden and template and svc.catalogued and rnd.random() < 0.12:
        add(at(0.3, 0.85), "left_golden_path", _was_golden(template_ref(template)))
    if repo.answers is not None and repo.answers.tool == "copier" and rnd.random() < 0.4:
        add(at(0.3, 0.95), "template_updated", _older_template)
    if spec is not None and spec.escape is not None and (repo.created_us < shipped_us or rnd.random() < 0.85):
        # added after the platform shipped the escape hatch, more of them lately (density ∝ u)
        u = rnd.random() ** 0.5
        add(at(u, u, shipped_us), "escape_hatch_added", _no_escape)
    elif spec is not None and spec.escape is None and svc.catalogued and repo.created_us < shipped_us \
            and rnd.random() < 0.06:
        added = at(0.05, 0.5, shipped_us)
        removed = min(added + int(rnd.uniform(30, 200) * DAY), as_of_us - DAY)
        escape = escapes.build(rnd.choice(["sidecar_deploymentspec", "other_podspec"]), svc.name,
                               image_for(svc), spec.port, spec.replicas, spec.preset)
        if removed > added:
            add(removed, "escape_hatch_removed", _with_escape(escape))
            add(added, "escape_hatch_added", _no_escape)
    others = [t for t in plan.teams if t.name != svc.team.name]
    if svc.catalogued and others and rnd.random() < 0.09:
        add(at(0.25, 0.9), "owner_changed", _owned_by(rnd.choice(others)))
    if svc.catalogued and rnd.random() < 0.04:
        broken = at(0.2, 0.8)
        add(min(broken + int(rnd.uniform(1, 12) * DAY), as_of_us - HOUR), "catalog_fixed", _broken)
        add(broken, "catalog_broken", _not_broken)
    elif svc.catalogued and spec is not None and young and rnd.random() < 0.05:
        add(at(0.05, 0.4), "catalogued", _uncatalogued)
    if repo.platform_ci and rnd.random() < 0.15:
        add(at(0.1, 0.8), "platform_ci_adopted", _diy_ci)
    if spec is not None and spec.escape is None and svc.catalogued and rnd.random() < 0.03:
        gone = at(0.2, 0.7)
        add(min(gone + int(rnd.uniform(1, 20) * DAY), as_of_us - HOUR), "spec_readded", _without_spec)
        add(gone, "spec_deleted", _with_spec(spec))
    if spec is not None and rnd.random() < 0.5:
        add(at(0.1, 0.95), "edited", _other_replicas)
    # one commit per instant: a later event at the same second would overwrite an earlier one
    seen: set[int] = set()
    unique = []
    for e in sorted(events, key=lambda e: e[0]):
        if e[0] // SECOND not in seen and e[0] > first_us:
            seen.add(e[0] // SECOND)
            unique.append(e)
    return first_us, unique


def golden_at_creation(plan: Plan, events: list[HistoryEvent]) -> list[str | None]:
    """The golden path each service of `plan.services()` was meant to be on at the end of its
    creation day (no event falls on a creation day): today's, unless it adopted one late, left
    one, or got its catalog (and with it its only golden-path evidence) later."""
    kinds = {(e.repo, e.service): e.kind for e in events
             if e.kind in ("adopted_golden_path", "left_golden_path", "catalogued")}
    out = []
    for repo, svc in plan.services():
        golden, kind = svc.golden, kinds.get((repo.full_name, svc.name))
        if kind == "adopted_golden_path" or (kind == "catalogued" and repo.answers is None):
            golden = None
        elif kind == "left_golden_path":
            golden = TEMPLATE_FOR_LANGUAGE[svc.language]
        out.append(golden)
    return out


# --- undos: the repo after an event → the repo before it -------------------------------------

def _noop(repo: Repo) -> None:
    if repo.spec is not None:
        repo.spec.replicas += 1


def _undo_golden(repo: Repo) -> None:
    svc = repo.services[0]
    svc.golden, svc.source_template, repo.answers = None, None, None


def _was_golden(ref: str) -> Undo:
    def undo(repo: Repo) -> None:
        repo.services[0].source_template = ref
    return undo


def _older_template(repo: Repo) -> None:
    if repo.answers is None or repo.answers.tool != "copier":
        return
    version = repo.answers.commit.split("-")[0]  # v1.4.2(-3-gabc) → v1.4.2
    try:
        major, minor, patch = (int(p) for p in version.removeprefix("v").split("."))
    except ValueError:  # an abbreviated sha (demo/templates.py pins those too): no older tag to name
        return
    repo.answers.commit = f"v{major}.{max(0, minor - 1)}.{patch + 1 if minor == 0 else 0}"


def _no_escape(repo: Repo) -> None:
    if repo.spec is not None:
        repo.spec.escape = None


def _with_escape(escape: escapes.Escape) -> Undo:
    def undo(repo: Repo) -> None:
        if repo.spec is not None:
            repo.spec.escape = escape
    return undo


def _owned_by(team: Team) -> Undo:
    def undo(repo: Repo) -> None:
        repo.services[0].team = team
    return undo


def _broken(repo: Repo) -> None:
    repo.broken_catalog = True  # type: ignore[attr-defined]


def _not_broken(repo: Repo) -> None:
    repo.broken_catalog = False  # type: ignore[attr-defined]


def _uncatalogued(repo: Repo) -> None:
    repo.catalog = False


def _diy_ci(repo: Repo) -> None:
    repo.ci = "diy"


def _without_spec(repo: Repo) -> None:
    repo.spec = None
    repo.services[0].spec = None


def _with_spec(spec: Spec) -> Undo:
    def undo(repo: Repo) -> None:
        repo.spec = repo.services[0].spec = copy.deepcopy(spec)
    return undo


def _other_replicas(repo: Repo) -> None:
    if repo.spec is not None:
        repo.spec.replicas = repo.spec.replicas + 1 if repo.spec.replicas < 4 else 2
