"""The demo organisation's plan: its teams, repositories and the services in them.

Everything else (file texts, CI runs, deploys, the intent) is rendered from this plan, so the
truth the end-to-end test checks and the files the parsers read cannot disagree. The plan is
built in plain Python from a seeded `random.Random` (≈10k repos at `large`, a few hundred ms);
the bulk rows (runs, rollouts) are drawn with numpy elsewhere.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from pipelines.sources.demo import escapes, names
from pipelines.sources.demo.scales import DAY, HOUR, MONTH, Scale
from pipelines.sources.demo_conventions import TEMPLATE_FOR_LANGUAGE, template_ref

LANGUAGES = ("go", "python", "typescript", "javascript", "java", "kotlin", "rust")
BASE_LANGUAGE_WEIGHTS = (0.30, 0.25, 0.19, 0.04, 0.14, 0.04, 0.04)
# Teams' main languages, in team order; the main one weighs three times the base.
PRIMARY_LANGUAGES = ("go", "python", "typescript", "java", "go", "python", "typescript", "go",
                     "python", "java", "rust", "kotlin")
# Java teams take the golden path less (the Java template lags); rust and kotlin have none.
LANGUAGE_ADOPTION = {"go": 1.0, "python": 1.0, "typescript": 1.0, "javascript": 0.9,
                     "java": 0.55, "kotlin": 0.0, "rust": 0.0}
PORTS = {"go": 8080, "python": 8000, "typescript": 3000, "javascript": 3000, "java": 8080,
         "kotlin": 8080, "rust": 8080}

# Non-configured templates some DIY services were still created from (near misses included).
OTHER_TEMPLATE_REFS = {
    "go": "template:default/go-service-experimental",
    "python": "template:default/legacy-service",
    "typescript": "template:default/react-app",
    "javascript": "template:default/react-app",
    "java": "template:default/spring-boot-legacy",
    "kotlin": "template:default/spring-boot-legacy",
    "rust": "template:default/legacy-service",
}
OTHER_TEMPLATE_SOURCES = {
    "go": "gh:acme/template-go-service-v0",
    "python": "https://github.com/cookiecutter/cookiecutter-django.git",
    "typescript": "gh:acme/template-react-app",
    "javascript": "gh:acme/template-react-app",
    "java": "https://github.com/acme/template-legacy-java.git",
    "kotlin": "https://github.com/acme/template-legacy-java.git",
    "rust": "gh:acme/template-rust-service",
}


@dataclass
class Team:
    name: str  # team-payments
    short: str  # payments: its namespace and `team:` label
    owner: str  # spec.owner exactly as its catalog files write it
    adoption: float  # multiplies the golden-path probability
    route_around: bool
    language_weights: tuple[float, ...]
    size: float


@dataclass
class Spec:
    """A `service.yaml` (the platform's service spec)."""

    name: str | None
    language: str | None
    port: int
    replicas: int
    preset: str
    comment: bool
    null_override: bool = False  # writes `kubernetes_override: null` (not an escape hatch)
    escape: escapes.Escape | None = None


@dataclass
class Answers:
    """A template answer file: copier's `.copier-answers.yml` or cruft's `.cruft.json`."""

    tool: str  # copier | cruft
    source: str  # as written: `_src_path` / `template`
    commit: str


@dataclass
class Service:
    name: str
    team: Team
    language: str
    created_us: int
    golden: str | None  # golden-path template name
    catalogued: bool
    kind: str = "service"  # spec.type
    lifecycle: str | None = None
    source_template: str | None = None  # the annotation as written (configured or not)
    template_version: str | None = None  # backstage.io/template-version (templates.py)
    kubernetes_id: bool = False  # the component carries backstage.io/kubernetes-id
    description: str = ""
    spec: Spec | None = None  # the spec that belongs to this service (SPEC §3)
    stateful: bool = False


@dataclass
class Repo:
    name: str
    kind: str  # service | monorepo | uncatalogued | library | docs | empty | template | platform | ...
    created_us: int
    end_us: int  # last activity (archive time for archived repos)
    pushed_us: int
    team: Team | None = None
    language: str | None = None  # GitHub's `language`
    services: list[Service] = field(default_factory=list)
    spec: Spec | None = None
    answers: Answers | None = None
    catalog: bool = False  # writes catalog-info.yaml
    library_component: str | None = None  # a `spec.type: library` component in its catalog
    ci: str | None = None  # workflow style (see files.py); None = no workflow files
    release: bool = False  # also has a release workflow
    archived: bool = False
    fork: bool = False
    excluded: bool = False
    default_branch: str = "main"
    runs_per_week: float = 0.0
    golden: bool = False  # any of its services is on a golden path (CI friction)

    @property
    def full_name(self) -> str:
        return f"acme/{self.name}"

    @property
    def platform_ci(self) -> bool:
        return self.ci is not None and self.ci.startswith("platform")


@dataclass
class Plan:
    scale: Scale
    as_of_us: int
    start_us: int
    teams: list[Team]
    repos: list[Repo]

    def services(self) -> list[tuple[Repo, Service]]:
        return [(r, s) for r in self.repos for s in r.services]


def adoption_curve(x: float) -> float:
    """Golden-path probability for a service created at fraction `x` of the history.

    An S-curve from ~0.28 to ~1.0 before the team and language factors (which average ~0.8),
    so the organisation goes from ~20% to ~80% of new services on a golden path.
    """
    lo, hi, mid, steep = 0.26, 1.04, 0.5, 7.0
    s0, s1 = 1 / (1 + math.exp(steep * mid)), 1 / (1 + math.exp(-steep * (1 - mid)))
    s = (1 / (1 + math.exp(-steep * (x - mid))) - s0) / (s1 - s0)
    return lo + (hi - lo) * s


def build_plan(scale: Scale, rnd: random.Random, as_of_us: int) -> Plan:
    """Plan the whole organisation: teams, service repos, then the repos around them."""
    start_us = as_of_us - scale.months * MONTH
    teams = _teams(scale, rnd)
    pool = _NamePool(teams, rnd)
    repos = _service_repos(scale, rnd, teams, pool, start_us, as_of_us)
    _assign_escape_hatches(scale, rnd, repos)
    repos += _other_repos(scale, rnd, teams, pool, start_us, as_of_us)
    for repo in repos:
        repo.golden = any(s.golden for s in repo.services)
    return Plan(scale, as_of_us, start_us, teams, repos)


def _teams(scale: Scale, rnd: random.Random) -> list[Team]:
    words = list(names.TEAM_WORDS[: scale.teams])
    route_around = set(rnd.sample(range(1, scale.teams), scale.route_around_teams))
    teams = []
    for i, word in enumerate(words):
        primary = PRIMARY_LANGUAGES[i % len(PRIMARY_LANGUAGES)]
        weights = tuple(w * (3.0 if lang == primary else 1.0)
                        for lang, w in zip(LANGUAGES, BASE_LANGUAGE_WEIGHTS, strict=True))
        # Most teams write their owner as a Backstage ref; team 1, 5, 9... and a few more bare.
        bare = i % 4 == 1 or (i > 4 and rnd.random() < 0.15)
        teams.append(Team(
            name=f"team-{word}",
            short=word,
            owner=f"team-{word}" if bare else f"group:default/team-{word}",
            adoption=0.2 if i in route_around else rnd.uniform(0.88, 1.12),
            route_around=i in route_around,
            language_weights=weights,
            size=rnd.lognormvariate(0, 0.4),
        ))
    return teams


class _NamePool:
    """Unique service names per team: `<team>-<noun>`, then `<team>-<qualifier>-<noun>`."""

    def __init__(self, teams: list[Team], rnd: random.Random):
        self._rnd = rnd
        self._queues: dict[str, list[str]] = {}
        self.used: set[str] = set()
        for team in teams:
            simple = [f"{team.short}-{n}" for n in names.NOUNS]
            rnd.shuffle(simple)
            qualified = [f"{team.short}-{q}-{n}" for q in names.QUALIFIERS for n in names.NOUNS]
            rnd.shuffle(qualified)
            self._queues[team.short] = qualified + simple  # popped from the end: simple first

    def take(self, team: Team) -> str:
        queue = self._queues[team.short]
        while queue:
            name = queue.pop()
            if name not in self.used:
                self.used.add(name)
                return name
        n = len(self.used)
        while f"{team.short}-svc-{n}" in self.used:
            n += 1
        self.used.add(f"{team.short}-svc-{n}")
        return f"{team.short}-svc-{n}"

    def claim(self, name: str) -> str:
        if name in self.used:
            raise ValueError(f"demo name clash: {name}")
        self.used.add(name)
        return name


def _creation_times(n: int, rnd: random.Random, start_us: int, as_of_us: int) -> list[int]:
    """`n` sorted creation instants on working days and hours; more of them later (growth)."""
    g = 0.8  # density ∝ 1 + g·x over the history
    span_days = (as_of_us - start_us) // DAY
    out = []
    for _ in range(n):
        u = rnd.random()
        x = (-1 + math.sqrt(1 + 2 * g * u * (1 + g / 2))) / g
        day = start_us // DAY + int(x * span_days)
        if (day + 3) % 7 >= 5:  # 1970-01-01 was a Thursday: Saturday/Sunday → Friday/Monday
            day += -1 if (day + 3) % 7 == 5 else 1
        t = day * DAY + int(rnd.uniform(7.5, 18.5) * HOUR)
        out.append(min(max(t, start_us), as_of_us - 2 * HOUR))
    return sorted(out)


def _spell_source(slug: str, rnd: random.Random) -> str:
    """One of the ways people write the same template source."""
    forms = (
        (0.35, f"gh:{slug}"),
        (0.20, f"https://github.com/{slug}.git"),
        (0.15, f"https://github.com/{slug}"),
        (0.15, f"git@github.com:{slug}.git"),
        (0.10, "https://github.com/" + "/".join(p.title() for p in slug.split("/")) + ".git"),
        (0.05, f"https://github.com/{slug}/"),
    )
    return rnd.choices([f for _, f in forms], weights=[w for w, _ in forms])[0]


def _template_version(x: float, rnd: random.Random) -> str:
    """The template tag a service was generated (or last updated) from, newer for newer services."""
    minor = min(6, int(x * 6.5))
    version = f"v1.{minor}.{rnd.randint(0, 3)}"
    if rnd.random() < 0.15:  # copier describes commits past a tag like `git describe`
        version += f"-{rnd.randint(1, 9)}-g{rnd.getrandbits(28):07x}"
    return version


def _answers(template_slug: str, language: str, x: float, rnd: random.Random,
             spell: bool = True) -> Answers:
    tool = "cruft" if rnd.random() < (0.5 if language == "python" else 0.25) else "copier"
    source = _spell_source(template_slug, rnd) if spell else template_slug
    if tool == "copier":
        return Answers("copier", source, _template_version(x, rnd))
    return Answers("cruft", source, f"{rnd.getrandbits(160):040x}")


def _github_language(language: str, misleading: bool, rnd: random.Random) -> str:
    if misleading:
        return rnd.choice(names.MISLEADING_GITHUB_LANGUAGE[language])
    return names.GITHUB_LANGUAGE[language]


def _lifecycle(rnd: random.Random) -> str | None:
    return rnd.choices(["production", "experimental", "deprecated", None],
                       weights=[0.68, 0.14, 0.06, 0.12])[0]


def _spec(name: str | None, language: str, rnd: random.Random, with_language: bool) -> Spec:
    return Spec(
        name=name,
        language=language if with_language else None,
        port=PORTS[language],
        replicas=rnd.choice([2, 2, 3, 3, 3, 4, 6]),
        preset=rnd.choices(["small", "medium", "large"], weights=[0.5, 0.38, 0.12])[0],
        comment=rnd.random() < 0.6,
        null_override=rnd.random() < 0.04,
    )


def _ci_style(golden: bool, has_spec: bool, rnd: random.Random) -> str | None:
    """Which workflows a repo has: the platform's reusable workflow, or its own (DIY)."""
    p_platform = 0.86 if golden else (0.2 if has_spec else 0.06)
    if rnd.random() < p_platform:
        return rnd.choices(["platform", "platform+lint", "platform-release"],
                           weights=[0.6, 0.25, 0.15])[0]
    if not golden and rnd.random() < 0.07:
        return None
    return rnd.choices(["diy", "diy+action", "diy+other-reusable"], weights=[0.7, 0.15, 0.15])[0]


def _runs_rate(scale: Scale, rnd: random.Random, factor: float = 1.0) -> float:
    return scale.runs_per_week * factor * rnd.lognormvariate(0, 0.5) / math.exp(0.125)


def _service_repos(scale: Scale, rnd: random.Random, teams: list[Team], pool: _NamePool,
                   start_us: int, as_of_us: int) -> list[Repo]:
    n = scale.service_repos
    created = _creation_times(n, rnd, start_us, as_of_us)
    span = as_of_us - start_us
    # Roles by position: a few monorepos and uncatalogued repos everywhere in time; archived
    # ones among the older repos. At least one of each, even at `tiny`.
    order = list(range(n))
    rnd.shuffle(order)
    n_mono, n_uncat = max(1, round(0.035 * n)), max(2, round(0.07 * n))
    mono = set(order[:n_mono])
    uncat = set(order[n_mono:n_mono + n_uncat])
    early = [i for i in order[n_mono + n_uncat:] if (created[i] - start_us) / span < 0.7]
    archived = set(early[: max(1, round(0.04 * n))])
    first_uncat = min(uncat)  # its catalog holds only a library component

    repos = []
    for i, created_us in enumerate(created):
        x = (created_us - start_us) / span
        team = rnd.choices(teams, weights=[t.size for t in teams])[0]
        language = rnd.choices(LANGUAGES, weights=team.language_weights)[0]
        template = TEMPLATE_FOR_LANGUAGE.get(language)
        p_golden = min(0.97, adoption_curve(x) * team.adoption * LANGUAGE_ADOPTION[language])
        golden = template if template and rnd.random() < p_golden else None
        if i in mono:
            repo = _monorepo(rnd, team, language, created_us, x, pool, scale)
        elif i in uncat:
            repo = _uncatalogued(rnd, team, language, created_us, x, golden, pool, scale,
                                 library_component=i == first_uncat)
        else:
            repo = _single(rnd, team, language, created_us, x, golden, pool, scale)
        if i in archived:
            repo.archived = True
            repo.end_us = repo.pushed_us = created_us + int((as_of_us - created_us)
                                                            * rnd.uniform(0.35, 0.9))
            for s in repo.services:
                s.lifecycle = "deprecated" if s.catalogued else None
        else:
            repo.end_us = as_of_us
            repo.pushed_us = max(created_us, as_of_us - int(rnd.expovariate(1 / 3) * DAY) - HOUR)
        repos.append(repo)
    return repos


def _single(rnd: random.Random, team: Team, language: str, created_us: int, x: float,
            golden: str | None, pool: _NamePool, scale: Scale) -> Repo:
    name = pool.take(team)
    repo_name = pool.claim(f"{name}-service") if rnd.random() < 0.12 else name
    kind = "website" if language in ("typescript", "javascript") and rnd.random() < 0.3 else "service"
    svc = Service(name, team, language, created_us, golden, catalogued=True, kind=kind,
                  lifecycle=_lifecycle(rnd), kubernetes_id=rnd.random() < 0.7,
                  description=f"{name.replace('-', ' ').capitalize()} for {team.name}")
    answers = None
    if golden:
        mode = rnd.random()
        if mode < 0.8:
            svc.source_template = template_ref(golden)
        if mode < 0.5 or mode >= 0.8:
            answers = _answers(f"acme/template-{golden}", language, x, rnd)
    elif rnd.random() < 0.22:
        if rnd.random() < 0.4:
            svc.source_template = OTHER_TEMPLATE_REFS[language]
        else:
            answers = _answers(OTHER_TEMPLATE_SOURCES[language], language, x, rnd, spell=False)
    has_spec = rnd.random() < (0.9 if golden else 0.3)
    spec = None
    if has_spec:
        spec = _spec(name if rnd.random() < 0.88 else None, language, rnd,
                     with_language=rnd.random() < 0.8)
        svc.spec = spec
    misleading = spec is not None and spec.language is not None and rnd.random() < 0.1
    repo = Repo(repo_name, "service", created_us, created_us, created_us, team=team,
                language=_github_language(language, misleading, rnd), services=[svc], spec=spec,
                answers=answers, catalog=True)
    svc.stateful = rnd.random() < 0.04
    _finish_ci(repo, rnd, scale, golden is not None, has_spec)
    return repo


def _uncatalogued(rnd: random.Random, team: Team, language: str, created_us: int, x: float,
                  golden: str | None, pool: _NamePool, scale: Scale,
                  library_component: bool) -> Repo:
    base = pool.take(team)
    named = rnd.random() < 0.7
    repo_name = pool.claim(f"{base}-service") if named and rnd.random() < 0.5 else base
    name = base if named else repo_name
    spec = _spec(name if named else None, language, rnd, with_language=rnd.random() < 0.8)
    svc = Service(name, team, language, created_us, golden, catalogued=False, spec=spec)
    answers = _answers(f"acme/template-{golden}", language, x, rnd) if golden else None
    repo = Repo(repo_name, "uncatalogued", created_us, created_us, created_us, team=team,
                language=names.GITHUB_LANGUAGE[language], services=[svc], spec=spec,
                answers=answers)
    if library_component:
        repo.catalog = True
        repo.library_component = pool.claim(f"{base}-client")
    _finish_ci(repo, rnd, scale, golden is not None, True)
    return repo


def _monorepo(rnd: random.Random, team: Team, language: str, created_us: int, x: float,
              pool: _NamePool, scale: Scale) -> Repo:
    repo_name = pool.take(team)
    parts = rnd.sample(names.MONOREPO_PARTS, rnd.choice([2, 3]))
    template = TEMPLATE_FOR_LANGUAGE.get(language)
    p_golden = min(0.97, adoption_curve(x) * team.adoption * LANGUAGE_ADOPTION[language]) * 0.7
    services = []
    for part in parts:
        golden = template if template and rnd.random() < p_golden else None
        svc = Service(pool.claim(f"{repo_name}-{part}"), team, language, created_us, golden,
                      catalogued=True, lifecycle=_lifecycle(rnd), kubernetes_id=True,
                      kind="website" if part == "web" else "service",
                      source_template=template_ref(golden) if golden else None,
                      description=f"The {part} of {repo_name}")
        services.append(svc)
    repo = Repo(repo_name, "monorepo", created_us, created_us, created_us, team=team,
                language=names.GITHUB_LANGUAGE[language], services=services, catalog=True,
                library_component=pool.claim(f"{repo_name}-shared") if rnd.random() < 0.6 else None)
    r = rnd.random()
    if r < 0.5:  # the spec names one of the components: it belongs to that one only
        owner = rnd.choice(services)
        repo.spec = owner.spec = _spec(owner.name, language, rnd, with_language=True)
    elif r < 0.75:  # the spec names none of them: it belongs to each
        repo.spec = _spec(None, language, rnd, with_language=True)
        for svc in services:
            svc.spec = repo.spec
    if repo.spec:
        repo.spec.null_override = False
    _finish_ci(repo, rnd, scale, any(s.golden for s in services), repo.spec is not None)
    return repo


def _finish_ci(repo: Repo, rnd: random.Random, scale: Scale, golden: bool, has_spec: bool) -> None:
    repo.ci = _ci_style(golden, has_spec, rnd)
    repo.release = repo.ci == "platform-release" or (repo.ci is not None and rnd.random() < 0.25)
    repo.default_branch = "master" if rnd.random() < 0.06 else "main"
    repo.runs_per_week = _runs_rate(scale, rnd) if repo.ci else 0.0


def _assign_escape_hatches(scale: Scale, rnd: random.Random, repos: list[Repo]) -> None:
    """Give ~6.5% of the in-scope single-service specs an escape hatch, every reason covered."""
    eligible = [r.services[0] for r in repos
                if r.kind in ("service", "uncatalogued") and not r.archived and r.spec]
    spec_services = sum(1 for r in repos for s in r.services if s.spec and not r.archived)
    count = max(4, round(0.065 * spec_services))
    variants = list(escapes.CORE_VARIANTS[: max(4, min(count, len(escapes.CORE_VARIANTS)))])
    if scale.name in ("tiny", "small"):
        variants = variants[:4]
    while len(variants) < count:
        weights = escapes.VARIANT_WEIGHTS
        variants.append(rnd.choices(list(weights), weights=list(weights.values()))[0])
    rnd.shuffle(eligible)
    taken: set[str] = set()
    for variant in variants:
        pool = [s for s in eligible if s.name not in taken
                and (s.catalogued or variant not in escapes.NEEDS_CATALOG)]
        if not pool:
            break
        svc = pool[0]
        taken.add(svc.name)
        spec = svc.spec
        assert spec is not None
        declared = rnd.choice(escapes.DECLARED_TEXTS) if variant in escapes.NEEDS_CATALOG else None
        if variant == "declared_gpu_deployment":
            declared = escapes.DECLARED_TEXTS[3]
        elif variant == "declared_podspec" and declared == escapes.DECLARED_TEXTS[3]:
            declared = escapes.DECLARED_TEXTS[0]
        spec.null_override = False
        spec.escape = escapes.build(variant, svc.name, image_for(svc), spec.port, spec.replicas,
                                    spec.preset, declared)


def image_for(svc: Service) -> str:
    return f"ghcr.io/acme/{svc.name}:{1 + (svc.created_us // DAY) % 3}.{(svc.created_us // HOUR) % 17}.0"


def _other_repos(scale: Scale, rnd: random.Random, teams: list[Team], pool: _NamePool,
                 start_us: int, as_of_us: int) -> list[Repo]:
    """The repos that are not (in-scope) services: platform, templates, libraries, docs,
    empty ones, forks and sandboxes."""

    def repo(name: str, kind: str, created_us: int, **kw) -> Repo:
        pushed = kw.pop("pushed_us", max(created_us, as_of_us - int(rnd.uniform(1, 60) * DAY)))
        return Repo(pool.claim(name), kind, created_us, as_of_us, pushed, **kw)

    out = [
        repo("platform", "platform", start_us - 120 * DAY, language="HCL", catalog=True,
             ci="diy", runs_per_week=_runs_rate(scale, rnd, 0.5)),
        repo("platform-workflows", "platform-workflows", start_us - 110 * DAY,
             language="Shell", catalog=True, ci="self", runs_per_week=_runs_rate(scale, rnd, 0.5)),
    ]
    for template in ("go-service", "python-service", "node-service", "java-service"):
        out.append(repo(f"template-{template}", "template", start_us - 100 * DAY,
                        language=None, catalog=True))
    out.append(repo("template-go-service-v0", "template", start_us - 400 * DAY,
                    language=None, catalog=True, archived=True,
                    pushed_us=start_us - 90 * DAY))

    def random_created() -> int:
        return int(start_us - 180 * DAY + rnd.random() * (as_of_us - start_us + 170 * DAY))

    n_libs = max(2, round(0.08 * scale.service_repos))
    lib_names = list(names.ORG_LIBRARIES)
    for i in range(n_libs):
        team = teams[i % len(teams)]
        if i < len(lib_names):
            name = lib_names[i]
        else:
            name = f"{team.short}-{rnd.choice(names.NOUNS)}-{rnd.choice(names.LIBRARY_WORDS)}"
            if name in pool.used:
                continue
        language = rnd.choices(LANGUAGES, weights=team.language_weights)[0]
        lib = repo(name, "library", random_created(), team=team,
                   language=names.GITHUB_LANGUAGE[language], catalog=rnd.random() < 0.8)
        lib.library_component = name if lib.catalog else None
        lib.ci = rnd.choice(["diy", "diy", "platform"])
        lib.runs_per_week = _runs_rate(scale, rnd, 0.5)
        out.append(lib)
    for name in names.DOC_REPOS[: max(1, min(4, scale.service_repos // 40))]:
        out.append(repo(name, "docs", random_created(), language=None, catalog=True))
    for name in names.EMPTY_REPOS[: max(1, min(5, scale.service_repos // 30))]:
        out.append(repo(name, "empty", random_created(), language=rnd.choice([None, "HCL", "Shell"])))
    for i, name in enumerate(names.FORKS[: scale.forks]):
        fork = repo(name, "fork", random_created(), team=teams[0], language="Go", fork=True)
        if i == 0:  # a fork that still carries its upstream-style service component
            fork.catalog = True
            fork.services = [Service(name, teams[0], "go", fork.created_us, None, catalogued=True,
                                     lifecycle="experimental", description=f"Fork of {name}")]
        out.append(fork)
    for i in range(scale.sandboxes):
        who = names.PEOPLE[(i * 7) % len(names.PEOPLE)]
        created = int(as_of_us - rnd.uniform(20, 300) * DAY)
        team = teams[i % len(teams)]
        language = rnd.choice(["go", "python", "typescript"])
        box = repo(f"sandbox-{who}", "sandbox", created, team=team,
                   language=names.GITHUB_LANGUAGE[language], excluded=True)
        spec = _spec(None, language, rnd, with_language=True)
        box.spec = spec
        box.services = [Service(box.name, team, language, created, None, catalogued=False,
                                spec=spec)]
        box.ci = "diy"
        box.runs_per_week = _runs_rate(scale, rnd, 0.3)
        out.append(box)
    return out
