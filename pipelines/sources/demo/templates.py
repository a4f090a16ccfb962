"""The demo's template and platform-workflow histories, and the commits its services pin.

The story the Maintenance page tells on the demo:

- `go-service` is busy: a commit every few days, feature branches merged in, a minor tag every
  fifteen commits or so — its older services fall far behind;
- `python-service` and `node-service` move at a steadier pace;
- `java-service` stood still for nine months (its last commit ~275 days before `as_of`): its
  recent services are "current" on a template nobody maintains (the stale-template alert);
- `acme/platform-workflows` has semver tags `v1.0.0` … `v3.x.0` and moving major tags `v1`,
  `v2`, `v3`; the refs the demo's workflows call (`files.PLATFORM_REFS`) resolve in it, the
  full sha included.

Each golden-path service pins what its template looked like when it was generated or last
updated (a third were updated later): copier a tag, `git describe` output or an abbreviated
sha; cruft the full sha (a few from an unmerged branch, not found); a Backstage-only service
the `backstage.io/template-version` tag, or nothing. Everything is drawn from its own random
stream, so the rest of the demo organisation does not change with it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import polars as pl

from pipelines.sources.demo.plan import Plan, Repo
from pipelines.sources.demo.scales import DAY, HOUR

# template → (mean days between main-line commits, days before as_of of the last commit)
PROFILES = {
    "go-service": (2.5, 1.5),
    "python-service": (6.0, 9.0),
    "node-service": (5.0, 16.0),
    "java-service": (7.0, 275.0),
}
WORKFLOWS_PROFILE = (4.0, 3.0)
PINNED_WORKFLOW_SHA = "6f1c2a9e4b7d8c0e1f2a3b4c5d6e7f8091a2b3c4"  # files.PLATFORM_REFS' full sha


@dataclass
class History:
    """One repo's commits (in creation order, dates increasing), main line and tags."""

    repo: str
    commits: list[tuple[str, int, list[str]]] = field(default_factory=list)  # sha, at (µs), parents
    main: list[tuple[str, int]] = field(default_factory=list)  # first-parent line: sha, at
    tags: dict[str, str] = field(default_factory=dict)
    tag_order: list[tuple[int, str]] = field(default_factory=list)  # (at, name) of version tags
    _described: dict[str, str | None] = field(default_factory=dict)

    @property
    def head(self) -> str:
        return self.main[-1][0]

    def head_at(self, at_us: int) -> str | None:
        """The main-line commit that was the head at `at_us`."""
        found = None
        for sha, at in self.main:
            if at > at_us:
                break
            found = sha
        return found

    def tag_at(self, at_us: int) -> str | None:
        found = None
        for at, name in self.tag_order:
            if at > at_us:
                break
            found = name
        return found

    def parents_of(self) -> dict[str, list[str]]:
        return {sha: parents for sha, _, parents in self.commits}

    def describe(self, sha: str) -> str | None:
        """`git describe --tags` of a main-line commit: `TAG-N-gABBREV` (or TAG when tagged)."""
        if sha not in self._described:
            self._described[sha] = self._describe(sha)
        return self._described[sha]

    def _describe(self, sha: str) -> str | None:
        at = next(a for s, a in self.main if s == sha)
        tag = self.tag_at(at)
        if tag is None:
            return None
        parents = self.parents_of()
        n = len(_ancestors(parents, sha) - _ancestors(parents, self.tags[tag]))
        return tag if n == 0 else f"{tag}-{n}-g{sha[:7]}"


def _ancestors(parents: dict[str, list[str]], sha: str) -> set[str]:
    seen, todo = set(), [sha]
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(parents.get(current, []))
    return seen


def _sha(rnd: random.Random) -> str:
    return f"{rnd.getrandbits(160):040x}"


def _history(repo: str, start_us: int, end_us: int, gap_days: float, rnd: random.Random,
             tag_every: int = 15, majors: tuple[float, ...] = ()) -> History:
    """A main line from `start_us` to `end_us`, one commit every `gap_days` on average, an
    occasional feature branch of one to three commits merged back, a minor tag every
    `tag_every` main-line commits and a major bump at each fraction in `majors`."""
    h = History(repo)
    at = start_us
    major, minor, since_tag = 1, 0, 0

    def add(parents: list[str], when: int) -> str:
        sha = _sha(rnd)
        h.commits.append((sha, when, parents))
        return sha

    first = add([], at)
    h.main.append((first, at))
    h.tags["v1.0.0"] = first
    h.tag_order.append((at, "v1.0.0"))
    while True:
        step = int(rnd.expovariate(1 / gap_days) * DAY) + HOUR
        if at + step > end_us:
            break
        parent = h.main[-1][0]
        if rnd.random() < 0.12 and step > 4 * HOUR:  # a feature branch, merged at the end of the step
            branch = parent
            for k in range(rnd.randint(1, 3)):
                branch = add([branch], at + (k + 1) * step // 5)
            at += step
            sha = add([parent, branch], at)
        else:
            at += step
            sha = add([parent], at)
        h.main.append((sha, at))
        since_tag += 1
        fraction = (at - start_us) / max(end_us - start_us, 1)
        if majors and major - 1 < len(majors) and fraction >= majors[major - 1]:
            major, minor, since_tag = major + 1, 0, 0
            name = f"v{major}.0.0"
        elif since_tag >= tag_every:
            minor, since_tag = minor + 1, 0
            name = f"v{major}.{minor}.0"
        else:
            continue
        h.tags[name] = sha
        h.tag_order.append((at, name))
    return h


@dataclass(frozen=True)
class DemoHistories:
    commits: pl.DataFrame  # raw.template_commits
    refs: pl.DataFrame  # raw.template_refs


def generate_histories(plan: Plan, rnd: random.Random) -> DemoHistories:
    """The histories of the four templates and the platform workflows; sets each repo's
    `pushed_at` to its head's date and pins every golden-path service (module docstring)."""
    by_name = {r.name: r for r in plan.repos}
    histories: dict[str, History] = {}
    for template, (gap, idle) in PROFILES.items():
        repo = by_name.get(f"template-{template}")
        if repo is None:
            continue
        end = plan.as_of_us - int(idle * DAY)
        histories[template] = _history(repo.full_name, repo.created_us, end, gap, rnd)
        repo.pushed_us = repo.end_us = histories[template].main[-1][1]
    workflows = by_name.get("platform-workflows")
    if workflows is not None:
        gap, idle = WORKFLOWS_PROFILE
        h = _history(workflows.full_name, workflows.created_us, plan.as_of_us - int(idle * DAY), gap, rnd,
                     tag_every=10, majors=(0.35, 0.7))
        _force_sha(h, plan.as_of_us - 200 * DAY, PINNED_WORKFLOW_SHA)
        for major in {name.split(".")[0] for name in h.tags}:  # v3 → the newest v3.x.y
            h.tags[major] = h.tags[max((n for n in h.tags if n.startswith(major + ".")), key=_version)]
        histories["platform-workflows"] = h
        workflows.pushed_us = max(workflows.pushed_us, h.main[-1][1])
    for repo in plan.repos:
        _pin(repo, histories, plan.as_of_us, rnd)
    return DemoHistories(*_frames(histories.values(), plan.as_of_us))


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(p) for p in name.lstrip("v").split("."))


def _force_sha(h: History, at_us: int, sha: str) -> None:
    """Give the main-line commit nearest before `at_us` the sha `sha` (rewriting references)."""
    old = h.head_at(at_us) or h.main[0][0]

    def swap(s: str) -> str:
        return sha if s == old else s

    h.commits = [(swap(s), at, [swap(p) for p in parents]) for s, at, parents in h.commits]
    h.main = [(swap(s), at) for s, at in h.main]
    h.tags = {name: swap(s) for name, s in h.tags.items()}


def _pin(repo: Repo, histories: dict[str, History], as_of_us: int, rnd: random.Random) -> None:
    for svc in repo.services:
        h = histories.get(svc.golden or "")
        if h is None:
            continue
        at = svc.created_us
        if rnd.random() < 0.33:  # updated since (copier update / cruft update)
            at = int(at + rnd.random() * (as_of_us - at))
        head = h.head_at(at) or h.main[0][0]
        tag = h.tag_at(at) or "v1.0.0"
        answers = repo.answers
        if answers is not None and answers.source.lower().rstrip("/").removesuffix(".git").endswith(
                h.repo.split("/")[1]):
            if answers.tool == "cruft":
                answers.commit = _sha(rnd) if rnd.random() < 0.04 else head
            else:
                form = rnd.random()
                answers.commit = tag if form < 0.65 else (h.describe(head) or tag) if form < 0.9 else head[:7]
        elif svc.source_template and rnd.random() < 0.65:
            svc.template_version = tag


def _frames(histories: object, as_of_us: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    commits: dict[str, list] = {"repo": [], "sha": [], "committed_at": [], "parents": []}
    refs: dict[str, list] = {"repo": [], "kind": [], "name": [], "sha": []}
    for h in histories:  # type: ignore[attr-defined]
        repo = h.repo.lower()
        for sha, at, parents in h.commits:
            commits["repo"].append(repo)
            commits["sha"].append(sha)
            commits["committed_at"].append(at)
            commits["parents"].append(parents)
        refs["repo"].append(repo)
        refs["kind"].append("head")
        refs["name"].append("main")
        refs["sha"].append(h.head)
        for name, sha in sorted(h.tags.items()):
            refs["repo"].append(repo)
            refs["kind"].append("tag")
            refs["name"].append(name)
            refs["sha"].append(sha)
    fetched = pl.lit(as_of_us).cast(pl.Datetime("us"))
    commit_frame = pl.DataFrame(commits, schema={"repo": pl.String, "sha": pl.String, "committed_at": pl.Int64,
                                                 "parents": pl.List(pl.String)})
    commit_frame = commit_frame.with_columns(pl.col("committed_at").cast(pl.Datetime("us")), fetched_at=fetched)
    ref_frame = pl.DataFrame(refs, schema={"repo": pl.String, "kind": pl.String, "name": pl.String,
                                           "sha": pl.String}).with_columns(fetched_at=fetched)
    return commit_frame, ref_frame
