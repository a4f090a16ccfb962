"""The demo organisation generator: shapes, determinism, realism and self-consistency.

The generator's *intent* (what it meant to create) is checked against the raw tables it wrote,
read back through the real file parsers of `pipelines.facts`, so the end-to-end test can trust
the intent as its truth.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta, timezone

import polars as pl
import pytest
import yaml

from pipelines.config import parse_settings
from pipelines.facts.frames import facts_frames
from pipelines.raw_schema import RAW_TABLES
from pipelines.sources import demo_conventions as conv
from pipelines.sources.demo import SCALES, TABLES, generate
from pipelines.sources.demo.build import _generate
from pipelines.warehouse import conform

AS_OF = datetime(2026, 11, 27, 9, 30)
TEMPLATES = ("go-service", "python-service", "node-service", "java-service")


@pytest.fixture(scope="module")
def tiny():
    return generate("tiny", 7, AS_OF)


@pytest.fixture(scope="module")
def default():
    return generate("default", 7, AS_OF)


@pytest.fixture(scope="module")
def default_facts(default):
    return facts_frames(default.tables["repo_files"])


def _norm(source: str) -> str:
    """SPEC §3 normalisation of a template source, written out here independently."""
    s = source.lower()
    for prefix in ("gh:", "https://github.com/", "git@github.com:"):
        s = s.removeprefix(prefix)
    return s.removesuffix("/").removesuffix(".git").removesuffix("/")


# --- shapes ----------------------------------------------------------------------------------

@pytest.mark.parametrize("scale", ["tiny", "default"])
def test_every_table_has_the_raw_columns_and_conforms(scale):
    org = generate(scale, 7, AS_OF)
    assert set(org.tables) == set(TABLES)
    for name, frame in org.tables.items():
        table = RAW_TABLES[name]
        assert frame.columns == list(table.columns), name
        assert frame.height > 0, name
        conformed = conform(table, frame)
        assert conformed.schema == pl.Schema(table.polars_schema()), name


@pytest.mark.parametrize("scale", ["tiny", "default"])
def test_natural_keys_are_unique(scale):
    """`upsert` keeps the last row of a key, so a duplicate would silently lose a row."""
    for name, frame in generate(scale, 7, AS_OF).tables.items():
        key = list(RAW_TABLES[name].key)
        assert frame.select(key).is_duplicated().sum() == 0, name


def test_nothing_happens_after_as_of_and_timestamps_are_whole_seconds(default):
    for name, frame in default.tables.items():
        for column, dtype in frame.schema.items():
            if dtype == pl.Datetime("us"):
                values = frame[column].drop_nulls()
                assert values.max() <= AS_OF, (name, column)
                assert (values.dt.microsecond() == 0).all(), (name, column)
    assert default.intent["created_at"].max() <= AS_OF


def test_json_columns_hold_json_objects(default):
    checks = {"k8s_namespaces": ["labels"], "k8s_workloads": ["labels", "annotations", "pod_spec"],
              "k8s_replicasets": ["labels"]}
    for name, columns in checks.items():
        for column in columns:
            for text in default.tables[name][column]:
                assert isinstance(json.loads(text), dict), (name, column, text)


# --- determinism, memoisation, arguments -----------------------------------------------------

def test_same_arguments_give_identical_frames():
    first = generate("tiny", 11, AS_OF)
    _generate.cache_clear()
    second = generate("tiny", 11, AS_OF)
    assert first is not second
    for name in TABLES:
        assert first.tables[name].equals(second.tables[name]), name
    assert first.intent.equals(second.intent)
    assert first.intent_exceptions.equals(second.intent_exceptions)


def test_another_seed_gives_another_organisation():
    a, b = generate("tiny", 1, AS_OF), generate("tiny", 2, AS_OF)
    assert a.intent["service"].to_list() != b.intent["service"].to_list()


def test_memoised_per_process(tiny):
    assert generate("tiny", 7, AS_OF) is tiny


def test_aware_as_of_is_the_same_instant_in_utc(tiny):
    paris = datetime(2026, 11, 27, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    assert generate("tiny", 7, paris) is tiny  # 10:30+01:00 is AS_OF, 09:30 UTC
    assert generate("tiny", 7, AS_OF.replace(tzinfo=UTC)) is tiny


def test_unknown_scale_is_refused():
    with pytest.raises(ValueError, match="unknown demo scale 'huge'"):
        generate("huge", 7, AS_OF)


def test_tiny_generates_in_under_a_second():
    _generate.cache_clear()
    start = time.perf_counter()
    generate("tiny", 3, AS_OF)
    assert time.perf_counter() - start < 1.0


def test_scales_grow():
    sizes = {name: generate(name, 7, AS_OF).intent.filter("in_scope").height
             for name in ("tiny", "small", "default")}
    assert 15 <= sizes["tiny"] <= 25
    assert 50 <= sizes["small"] <= 70
    assert 270 <= sizes["default"] <= 330
    assert SCALES["large"].service_repos > 9000


# --- the configuration -----------------------------------------------------------------------

def test_demo_config_is_a_valid_configuration():
    settings = parse_settings(conv.demo_config_mapping("small", 3, "x.duckdb", "2026-11-27"))
    assert settings.is_demo and settings.demo.scale == "small" and settings.demo.seed == 3
    assert settings.demo.as_of == "2026-11-27" and settings.warehouse == "x.duckdb"
    assert [(g.name, g.ref, g.source) for g in settings.golden_paths] == [
        ("go-service", "template:default/go-service", "gh:acme/template-go-service"),
        ("python-service", "template:default/python-service", "gh:acme/template-python-service"),
        ("node-service", "template:default/node-service", "gh:acme/template-node-service"),
        ("java-service", "template:default/java-service", "gh:acme/template-java-service"),
    ]
    assert settings.exceptions.repos == ["acme/platform"]
    assert settings.exceptions.label == "golden-path-exception"
    assert settings.ci.platform_workflow_repos == ["acme/platform-workflows"]
    assert settings.deploys.production_environments == ["production"]
    assert settings.adoption.threshold == 0.5
    assert settings.kubernetes is None  # not allowed with demo: the constants stand in
    assert conv.DEMO_CONTEXTS == ("prod-eu", "staging")
    assert conv.DEMO_PRODUCTION_CONTEXTS == ("prod-eu",)
    assert conv.demo_kubernetes_mapping()["service_label"] == "backstage.io/kubernetes-id"


def test_demo_config_as_of_accepts_a_datetime():
    mapping = conv.demo_config_mapping(as_of=datetime(2026, 11, 27, 8, 0))
    assert mapping["demo"]["as_of"] == "2026-11-27T08:00:00"
    assert conv.demo_config_mapping()["demo"]["as_of"] is None


def test_kubernetes_constants_match_the_clusters(default):
    clusters = set(default.tables["k8s_workloads"]["cluster"])
    assert clusters == set(conv.DEMO_CONTEXTS)


# --- files -----------------------------------------------------------------------------------

def test_every_file_parses_as_yaml_or_json(default):
    for repo, path, content in default.tables["repo_files"].select("repo", "path", "content").iter_rows():
        if path.endswith(".json"):
            assert isinstance(json.loads(content), dict), (repo, path)
        else:
            docs = list(yaml.safe_load_all(content))
            assert docs and all(isinstance(d, dict) for d in docs), (repo, path)


def test_blob_shas_and_sizes_are_gits(tiny):
    import hashlib

    for content, sha, size in tiny.tables["repo_files"].select("content", "sha", "size").iter_rows():
        data = content.encode()
        assert size == len(data)
        assert sha == hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def test_the_real_parsers_read_every_demo_file_without_error(default_facts):
    assert default_facts["file_errors"].height == 0, default_facts["file_errors"].head(5)


def test_every_workflow_has_a_top_level_on(default):
    workflows = default.tables["repo_files"].filter(pl.col("path").str.starts_with(".github/workflows/"))
    assert workflows.height > 100
    for content in workflows["content"]:
        assert re.search(r"^on:", content, re.MULTILINE)
        assert True in yaml.safe_load(content)  # the YAML 1.1 trap: `on` loads as True


def test_template_sources_are_spelled_many_ways(default_facts):
    answers = default_facts["template_answers"]
    golden = answers.filter(pl.col("source").map_elements(_norm, return_dtype=pl.String)
                            .is_in([f"acme/template-{t}" for t in TEMPLATES]))
    spellings = set(golden["source"].str.replace(r"acme/template-[a-z]+-service", "X", literal=False)
                    .str.to_lowercase())
    assert {"gh:x", "https://github.com/x.git", "git@github.com:x.git"} <= spellings
    assert (golden["source"] != golden["source"].str.to_lowercase()).any()  # upper case too
    assert set(golden["tool"]) == {"copier", "cruft"}


# --- the intent against the files ------------------------------------------------------------

def test_intent_golden_path_is_what_the_files_say(default, default_facts):
    refs = {conv.template_ref(t): t for t in TEMPLATES}
    sources = {_norm(conv.template_source(t)): t for t in TEMPLATES}
    components = default_facts["catalog_components"].filter(
        pl.col("kind") == "Component", pl.col("type").is_in(["service", "website"]))
    by_component = dict(zip(zip(components["repo"], components["name"], strict=True),
                            components["source_template"], strict=True))
    answers = default_facts["template_answers"]
    by_repo = {repo: sources.get(_norm(src)) for repo, src in zip(answers["repo"], answers["source"],
                                                                 strict=True)}
    mismatches = []
    for row in default.intent.filter("in_scope").iter_rows(named=True):
        expected = refs.get(by_component.get((row["repo"], row["service"])) or "") \
            or by_repo.get(row["repo"])
        if expected != row["golden_path"]:
            mismatches.append((row["service"], expected, row["golden_path"]))
    assert not mismatches
    assert default.intent["golden_path"].drop_nulls().unique().sort().to_list() == sorted(TEMPLATES)


def test_some_services_come_from_templates_that_are_not_golden_paths(default, default_facts):
    answers = default_facts["template_answers"]["source"].map_elements(_norm, return_dtype=pl.String)
    assert "acme/template-go-service-v0" in set(answers)  # a near miss
    annotations = set(default_facts["catalog_components"]["source_template"].drop_nulls())
    assert annotations - {conv.template_ref(t) for t in TEMPLATES}


def test_intent_platform_ci_is_what_the_workflows_call(default, default_facts):
    calls = default_facts["workflow_calls"]
    platform = set(calls.filter(pl.col("called_repo") == "acme/platform-workflows")["repo"])
    intent = default.intent.filter("in_scope")
    assert set(intent.filter("uses_platform_ci")["repo"]) == set(intent["repo"]) & platform
    # DIY repos that use a step-level action from the platform repo exist and don't count.
    files = default.tables["repo_files"]
    step_level = set(files.filter(pl.col("content").str.contains(
        "- uses: acme/platform-workflows/.github/actions/", literal=True))["repo"])
    assert step_level and not step_level & set(intent.filter("uses_platform_ci")["repo"])


def test_intent_escape_hatches_are_what_the_specs_say(default, default_facts):
    specs = default_facts["service_specs"]
    single = default.intent.filter("in_scope", "has_service_spec").filter(
        pl.col("repo").is_unique())
    joined = single.join(specs, on="repo", how="left")
    assert joined["has_override"].null_count() == 0
    assert (joined["has_override"] == joined["escape_hatch"]).all()
    reasons = joined["escape_hatch_reasons"]
    assert (joined["override_gpu"] == reasons.list.contains("gpu")).all()
    assert (joined["override_sidecar"] == reasons.list.contains("sidecar")).all()
    components = default_facts["catalog_components"]
    declared = dict(zip(components["name"], components["escape_hatch_reason"], strict=True))
    for service, found in zip(joined["service"], reasons, strict=True):
        texts = [r.removeprefix("declared:") for r in found if r.startswith("declared:")]
        assert texts == ([declared[service]] if declared.get(service) else []), service


def test_intent_language_owner_and_catalogue_flags(default, default_facts):
    repos = default.tables["repos"].select("repo", pl.col("language").alias("github"))
    intent = default.intent.filter("in_scope").join(repos, on="repo")
    # spec language wins over GitHub's; a few repos report a misleading GitHub language.
    misleading = intent.filter(pl.col("language") != pl.col("github").str.to_lowercase())
    assert misleading.height >= 3 and misleading["has_service_spec"].all()
    assert intent.filter(~pl.col("catalogued"))["owner"].null_count() == intent.filter(
        ~pl.col("catalogued")).height
    owners = set(intent["owner"].drop_nulls())
    assert any(o.startswith("group:default/team-") for o in owners)
    assert any(o.startswith("team-") for o in owners)  # bare spellings, kept as written
    assert {"go", "python", "typescript", "java"} <= set(intent["language"])


# --- the organisation's shape ----------------------------------------------------------------

def test_the_organisation_has_every_kind_of_repo(default):
    intent = default.intent
    assert intent.filter("archived").height >= 3
    assert intent.filter("forked").height >= 1
    assert intent.filter("excluded")["repo"].str.starts_with("acme/sandbox-").all()
    assert intent.filter("excluded").height >= 1
    monorepos = intent.group_by("repo").len().filter(pl.col("len") >= 2)
    assert monorepos.height >= 3
    uncatalogued = intent.filter(~pl.col("catalogued"), "in_scope")
    assert uncatalogued.height >= 5
    named_after_repo = uncatalogued.filter(pl.col("repo") == "acme/" + pl.col("service"))
    assert named_after_repo.height >= 1
    repos = set(default.tables["repos"]["repo"])
    assert {"acme/platform", "acme/platform-workflows", "acme/template-go-service"} <= repos
    teams = intent["team"].unique()
    assert 8 <= teams.len() <= 12


def test_adoption_rises_from_low_to_high(default):
    intent = default.intent.filter("in_scope")
    first = intent["created_at"].min()
    early = intent.filter(pl.col("created_at") < first + timedelta(days=183))
    late = intent.filter(pl.col("created_at") >= AS_OF - timedelta(days=183))
    early_rate = early["golden_path"].is_not_null().mean()
    late_rate = late["golden_path"].is_not_null().mean()
    assert early.height >= 20 and late.height >= 20
    assert 0.05 <= early_rate <= 0.40
    assert 0.60 <= late_rate <= 0.92
    assert late_rate - early_rate >= 0.3


def test_some_teams_and_languages_route_around_the_golden_path(default):
    intent = default.intent.filter("in_scope")
    by_team = intent.group_by("team").agg(rate=pl.col("golden_path").is_not_null().mean(),
                                          n=pl.len()).filter(pl.col("n") >= 10)
    assert by_team["rate"].min() < 0.3 < 0.5 < by_team["rate"].max()
    by_language = dict(intent.group_by("language").agg(
        pl.col("golden_path").is_not_null().mean()).iter_rows())
    assert by_language["java"] < by_language["go"]
    assert by_language.get("rust", 0) == 0  # no golden path for rust


@pytest.mark.parametrize("scale", ["tiny", "default"])
def test_every_escape_hatch_reason_is_present(scale):
    reasons = generate(scale, 7, AS_OF).intent.filter("in_scope")["escape_hatch_reasons"].explode()
    kinds = {r.split(":")[0] for r in reasons.drop_nulls()}
    assert kinds == {"gpu", "sidecar", "declared", "other"}


def test_escape_hatch_rate_is_a_few_percent(default):
    specs = default.intent.filter("in_scope", "has_service_spec")
    rate = specs["escape_hatch"].mean()
    assert 0.04 <= rate <= 0.09
    variants = set(specs["escape_hatch_variant"].drop_nulls())
    assert {"gpu_nvidia_deployment", "gpu_amd_deployment", "sidecar_deploymentspec",
            "native_sidecar_podspec", "other_podspec", "other_deploymentspec",
            "declared_podspec"} <= variants


# --- CI runs ---------------------------------------------------------------------------------

def test_runs_cover_every_state(default):
    runs = default.tables["workflow_runs"]
    assert 50_000 <= runs.height <= 150_000
    assert set(runs["conclusion"].drop_nulls().cast(pl.String)) == {
        "success", "failure", "cancelled", "timed_out", "startup_failure", "skipped"}
    pending = runs.filter(pl.col("status") != "completed")
    assert set(pending["status"].cast(pl.String)) == {"queued", "in_progress"}
    assert pending["conclusion"].null_count() == pending.height
    assert runs.filter(pl.col("status") == "completed")["conclusion"].null_count() == 0
    assert runs.filter(pl.col("run_attempt") > 1).height > 1000
    assert (runs["run_started_at"] >= runs["created_at"]).all()
    assert (runs["updated_at"] >= runs["run_started_at"]).all()
    assert runs["run_id"].is_sorted() and runs["created_at"].is_sorted()


def test_golden_path_repos_fail_less_and_run_faster(default):
    golden = set(default.intent.filter(pl.col("golden_path").is_not_null())["repo"])
    runs = default.tables["workflow_runs"].filter(pl.col("status") == "completed").with_columns(
        golden=pl.col("repo").cast(pl.String).is_in(golden),
        failed=pl.col("conclusion").cast(pl.String).is_in(["failure", "timed_out", "startup_failure"]),
        ok=pl.col("conclusion") == "success",
        duration=(pl.col("updated_at") - pl.col("run_started_at")).dt.total_seconds(),
    )
    stats = dict((g, (f, d)) for g, f, d in runs.group_by("golden").agg(
        (pl.col("failed").sum() / (pl.col("failed").sum() + pl.col("ok").sum())),
        pl.col("duration").filter(pl.col("run_attempt") == 1).median()).iter_rows())
    assert stats[True][0] < stats[False][0]
    assert stats[True][1] < stats[False][1]


# --- deploys ---------------------------------------------------------------------------------

def _production_deploys(org) -> pl.DataFrame:
    """(service, deployed_at) for every production deploy in the raw tables, attributed by the
    service label with the fallback, as SPEC §3 says."""
    repo_service = org.intent.filter("in_scope").select("repo", "service")
    github = (org.tables["deployments"].filter(pl.col("environment") == "production")
              .join(repo_service, on="repo").select("service", pl.col("created_at").alias("at")))
    rs = org.tables["k8s_replicasets"].filter(pl.col("cluster").is_in(conv.DEMO_PRODUCTION_CONTEXTS))
    k8s = rs.select(
        pl.coalesce(pl.col("labels").str.json_path_match(f"$['{conv.DEMO_SERVICE_LABEL}']"),
                    pl.col("labels").str.json_path_match(f"$['{conv.DEMO_FALLBACK_LABEL}']"))
        .alias("service"),
        pl.col("created_at").alias("at"))
    return pl.concat([github, k8s])


def test_first_production_deploy_in_the_intent_is_the_first_in_the_tables(default):
    first = _production_deploys(default).group_by("service").agg(pl.col("at").min())
    intent = default.intent.filter("in_scope").join(first, on="service", how="left")
    assert (intent["first_production_deploy_at"].is_null() == intent["at"].is_null()).all()
    both = intent.drop_nulls(["at"])
    assert (both["first_production_deploy_at"] == both["at"]).all()
    assert both.height >= 0.7 * intent.height


def test_golden_path_services_reach_production_sooner(default):
    intent = default.intent.filter("in_scope").drop_nulls("first_production_deploy_at").with_columns(
        days=(pl.col("first_production_deploy_at") - pl.col("created_at")).dt.total_hours() / 24,
        golden=pl.col("golden_path").is_not_null())
    medians = dict(intent.group_by("golden").agg(pl.col("days").median()).iter_rows())
    assert medians[True] * 2 < medians[False]


def test_kubernetes_objects_look_like_a_cluster(default):
    workloads = default.tables["k8s_workloads"]
    assert set(workloads["kind"]) == {"Deployment", "StatefulSet"}
    labels = [json.loads(t) for t in workloads["labels"]]
    assert any(conv.DEMO_SERVICE_LABEL not in d and conv.DEMO_FALLBACK_LABEL in d for d in labels)
    rs = default.tables["k8s_replicasets"]
    assert set(rs["owner_kind"]) == {"Deployment"}
    revisions = rs.sort("created_at").group_by("cluster", "namespace", "owner_name",
                                               maintain_order=True).agg("revision")
    for revs in revisions["revision"]:
        assert revs.to_list() == list(range(1, len(revs) + 1))
    # each Deployment's revision annotation is its latest ReplicaSet's
    deployments = workloads.filter(pl.col("kind") == "Deployment").with_columns(
        rev=pl.col("annotations").str.json_path_match("$['deployment.kubernetes.io/revision']")
        .cast(pl.Int64))
    latest = rs.group_by("cluster", "namespace", "owner_name").agg(pl.col("revision").max())
    check = deployments.join(latest, left_on=["cluster", "namespace", "name"],
                             right_on=["cluster", "namespace", "owner_name"])
    assert check.height > 100 and (check["rev"] == check["revision"]).all()
    namespaces = default.tables["k8s_namespaces"]
    previews = namespaces.filter(pl.col("name").str.starts_with("pr-"))
    assert previews.height >= 5 and previews["deleted"].any() and not previews["deleted"].all()
    assert not namespaces.filter(~pl.col("name").str.starts_with("pr-"))["deleted"].any()


def test_github_deployments_have_environments_and_statuses(default):
    deployments = default.tables["deployments"]
    assert set(deployments["environment"]) == {"production", "staging"}
    assert {"success", "failure"} <= set(deployments["status_state"])
    assert (deployments["status_at"] >= deployments["created_at"]).all()


# --- exception requests ----------------------------------------------------------------------

def test_exception_requests_in_the_issues_are_the_intended_ones(default):
    issues = default.tables["issues"]
    labelled = issues.filter(
        pl.col("labels").list.eval(pl.element().str.to_lowercase() == "golden-path-exception").list.any())
    requests = labelled.filter(~pl.col("is_pull_request"))
    assert sorted(requests["number"]) == sorted(default.intent_exceptions["number"])
    assert labelled.filter("is_pull_request").height >= 1  # PRs carry the label too
    assert issues.height > labelled.height  # and some issues don't
    spellings = set(requests["labels"].explode())
    assert {"golden-path-exception", "Golden-Path-Exception"} <= spellings
    teams = requests["labels"].list.eval(
        pl.element().filter(pl.element().str.contains(r"^team[:/]"))
        .str.replace(r"^team[:/]", "")).list.first()
    expected = dict(zip(default.intent_exceptions["number"], default.intent_exceptions["team"],
                        strict=True))
    assert dict(zip(requests["number"], teams, strict=True)) == expected
    assert any(":" in t for t in spellings) and any("/" in t for t in spellings if t.startswith("team"))
    assert "<script>alert(1)</script> need GPU" in set(requests["title"])
    states = set(requests["state"])
    assert states == {"open", "closed"}
    assert (requests.filter(pl.col("state") == "open")["closed_at"].is_null()).all()


def test_most_escape_hatches_have_an_exception_request_of_every_kind(default, tiny):
    # the hatches' `since` as the end-to-end test reads it: the first escape_hatch_added event,
    # else the service's creation
    added: dict[tuple[str, str], datetime] = {}
    for e in default.history:
        if e.kind == "escape_hatch_added":
            added.setdefault((e.repo, e.service), datetime(1970, 1, 1) + timedelta(microseconds=e.at_us))
    hatches = {r["service"]: added.get((r["repo"], r["service"]), r["created_at"])
               for r in default.intent.filter("in_scope", "escape_hatch").iter_rows(named=True)}
    requests = default.intent_exceptions
    about = requests.filter(pl.col("service").is_in(list(hatches)))
    assert about["service"].n_unique() > len(hatches) / 2  # most hatches
    assert about["service"].n_unique() < len(hatches)  # and not all: some hatch has none
    since = pl.col("service").replace_strict(hatches, return_dtype=pl.Datetime("us"))
    about = about.with_columns(since=since)
    assert about.filter(pl.col("closed_at") < pl.col("since")).height >= 1  # approved, then added
    assert about.filter(pl.col("state") == "open").height >= 1
    assert about.filter(pl.col("closed_at") > pl.col("since")).height >= 1  # approved after the fact
    labels = about["labels"].explode()
    assert labels.str.starts_with("service:").any() and labels.str.starts_with("repo:").any()
    # requests about services without an escape hatch, and about no existing service
    assert requests.filter(pl.col("service").is_not_null() & ~pl.col("service").is_in(list(hatches))).height >= 5
    assert requests.filter(pl.col("service").is_null()).height >= 1
    for org in (default, tiny):  # never after the refresh, never closed before opened
        issues = org.tables["issues"]
        assert (issues["created_at"] <= org.as_of).all()
        assert issues.filter(pl.col("closed_at") < pl.col("created_at")).is_empty()


def test_exception_requests_fall_as_the_platform_matures(default):
    exceptions = default.intent_exceptions
    start = AS_OF - timedelta(days=30.44 * SCALES["default"].months)
    early = exceptions.filter(pl.col("created_at") < start + timedelta(days=183)).height / 6
    late = exceptions.filter(pl.col("created_at") >= AS_OF - timedelta(days=183)).height / 6
    assert 5 <= early <= 12
    assert late <= 3
