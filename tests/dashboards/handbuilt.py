"""A small hand-built `marts` schema whose numbers are worked out by hand below.

Services (created_at, owner, language, golden path?, service spec?, escape-hatch reasons):

    Jan 2024  s-api       payments  go          golden   spec
              s-worker    payments  python      -        spec  [gpu]
    Feb       s-web       web       typescript  golden   spec  [declared:needs istio, sidecar]
    Mar       (none)
    Apr       s-ml        ml        python      golden   spec  [gpu]
              s-etl       ml        python      -        -
    May       s-pay2      payments  go          golden   spec
              s-ml2       ml        python      golden   spec
              s-legacy    (none)    java        -        -      (uncatalogued)
              s-web2      web       typescript  -        spec
              batch_<i>job</i>  ml  python      -        spec  [other]
    Jun       s-new       payments  go          golden   spec

The refresh's "now" is 2024-06-10, so May 2024 is the last complete month: 2 of 5 new
services from a golden path = 0.4, below the 0.5 threshold. Escape hatches: 4 of the 9 services
with a spec = 0.444…; reasons gpu 2, sidecar 1, declared 1, other 1.

Exception requests (acme/platform): #6 ml Jan 15 → May 2 (108 d), #1 payments Mar 4 → Mar 14
(10 d), #2 web Apr 2 → Apr 6 (4 d, title `<script>…`, a `javascript:` URL), #3 web May 6 open,
#4 no team May 20 → Jun 1 (12 d), #5 payments May 28 open.

The services they name (REQUEST_SERVICES): #1 s-worker and #2 s-web use the escape hatch; #3
s-web2, #5 s-pay2 and #6 s-etl do not; #4 names no known service. So the escape hatches'
requests (marts.escape_hatches): s-worker 1 (#1 closed, the latest), s-web 1 (#2 closed, its
`javascript:` URL never a link), s-ml and batch none.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from pipelines.sql_models import build_statement, load_models
from pipelines.transform import model_order
from pipelines.warehouse import WarehousePaths, publish

AS_OF = datetime(2024, 6, 10, 9, 30)
HOSTILE_SERVICE = "batch_<i>job</i>"
HOSTILE_TITLE = "<script>alert(1)</script>"

# service, repo, owner, language, created, golden_path, spec, reasons
SERVICES = [
    ("s-api", "acme/s-api", "payments", "go", "2024-01-05", "go-service", True, None),
    ("s-worker", "acme/s-worker", "payments", "python", "2024-01-10", None, True, ["gpu"]),
    ("s-web", "acme/s-web", "web", "typescript", "2024-02-05", "ts-service", True,
     ["declared:needs istio", "sidecar"]),
    ("s-ml", "acme/ml", "ml", "python", "2024-04-03", "python-service", True, ["gpu"]),
    ("s-etl", "acme/s-etl", "ml", "python", "2024-04-20", None, False, None),
    ("s-pay2", "acme/s-pay2", "payments", "go", "2024-05-02", "go-service", True, None),
    ("s-ml2", "acme/ml2", "ml", "python", "2024-05-07", "python-service", True, None),
    ("s-legacy", "acme/s-legacy", None, "java", "2024-05-15", None, False, None),
    ("s-web2", "acme/s-web2", "web", "typescript", "2024-05-21", None, True, None),
    (HOSTILE_SERVICE, "acme/batch", "ml", "python", "2024-05-30", None, True, ["other"]),
    ("s-new", "acme/s-new", "payments", "go", "2024-06-03", "go-service", True, None),
]

# month, created, golden, new_service_adoption, total, golden_total, overall, below
ADOPTION = [
    ("2024-01-01", 2, 1, 0.5, 2, 1, 0.5, False),
    ("2024-02-01", 1, 1, 1.0, 3, 2, 2 / 3, False),
    ("2024-03-01", 0, 0, None, 3, 2, 2 / 3, None),
    ("2024-04-01", 2, 1, 0.5, 5, 3, 0.6, False),
    ("2024-05-01", 5, 2, 0.4, 10, 5, 0.5, True),
    ("2024-06-01", 1, 1, 1.0, 11, 6, 6 / 11, False),
]

# repo, number, title, team, opened, closed, url
REQUESTS = [
    ("acme/platform", 6, "Old request", "ml", "2024-01-15 09:00", "2024-05-02 09:00",
     "https://github.com/acme/platform/issues/6"),
    ("acme/platform", 1, "Need GPU nodes", "payments", "2024-03-04 12:00", "2024-03-14 12:00",
     "https://github.com/acme/platform/issues/1"),
    ("acme/platform", 2, HOSTILE_TITLE, "web", "2024-04-02 08:00", "2024-04-06 08:00",
     "javascript:alert(1)"),
    ("acme/platform", 3, "Sidecar for istio", "web", "2024-05-06 10:00", None,
     "https://github.com/acme/platform/issues/3"),
    ("acme/platform", 4, "Custom base image", None, "2024-05-20 10:00", "2024-06-01 10:00",
     "https://github.com/acme/platform/issues/4"),
    ("acme/platform", 5, "Bigger runners", "payments", "2024-05-28 10:00", None,
     "https://github.com/acme/platform/issues/5"),
]

# number -> (service, service_repo, service_escape_hatch); #4 names no service
REQUEST_SERVICES = {1: ("s-worker", "acme/s-worker", True), 2: ("s-web", "acme/s-web", True),
                    3: ("s-web2", "acme/s-web2", False), 5: ("s-pay2", "acme/s-pay2", False),
                    6: ("s-etl", "acme/s-etl", False)}

# month, opened, closed, open_at_month_end, median_days_to_close
REQUESTS_MONTHLY = [
    ("2024-01-01", 1, 0, 1, None),
    ("2024-02-01", 0, 0, 1, None),
    ("2024-03-01", 1, 1, 1, 10.0),
    ("2024-04-01", 1, 1, 1, 4.0),
    ("2024-05-01", 3, 1, 3, 108.0),
    ("2024-06-01", 0, 1, 2, 12.0),
]


# Every service had its escape hatch from its creation (one interval of history each). At each
# month's end: spec services, escape-hatch services, gpu, sidecar, declared, other.
ESCAPE_MONTHLY = [
    ("2024-01-01", 2, 1, 1, 0, 0, 0),  # s-api, s-worker [gpu]
    ("2024-02-01", 3, 2, 1, 1, 1, 0),  # + s-web [declared, sidecar]
    ("2024-03-01", 3, 2, 1, 1, 1, 0),
    ("2024-04-01", 4, 3, 2, 1, 1, 0),  # + s-ml [gpu]; s-etl has no spec
    ("2024-05-01", 8, 4, 2, 1, 1, 1),  # + s-pay2, s-ml2, s-web2, batch [other]
    ("2024-06-01", 9, 4, 2, 1, 1, 1),  # + s-new
]

# s-api (2024-01-05, go-service) and s-web (2024-02-05, ts-service) are still on their golden
# path 30 and 90 days later; 180 days is after as_of (2024-06-10) for both.
RETENTION = [
    ("2024-01-01", "go-service", 30, 1, 1, 1.0), ("2024-01-01", "go-service", 90, 1, 1, 1.0),
    ("2024-01-01", "go-service", 180, 0, 0, None), ("2024-02-01", "ts-service", 30, 1, 1, 1.0),
    ("2024-02-01", "ts-service", 90, 1, 1, 1.0), ("2024-02-01", "ts-service", 180, 0, 0, None),
]

DDL = """
create schema if not exists raw;
create schema if not exists staging;
create schema if not exists config;
create schema if not exists intermediate;
create schema if not exists marts;
create table marts.refresh_info (refresh_id varchar, source varchar, as_of timestamp,
    refreshed_at timestamp, last_complete_month date);
create table marts.repos (repo varchar, created_at timestamp, pushed_at timestamp,
    language varchar, is_service boolean, has_catalog boolean, has_service_spec boolean,
    uses_platform_ci boolean, html_url varchar);
create table marts.services (service varchar, repo varchar, owner varchar, language varchar,
    lifecycle varchar, created_at timestamp, catalogued boolean, golden_path varchar,
    on_golden_path boolean, template_source varchar, template_commit varchar,
    has_service_spec boolean, escape_hatch boolean, escape_hatch_reasons varchar[],
    uses_platform_ci boolean, spec_path varchar, kubernetes_id varchar);
create table marts.adoption_monthly (month date, services_created bigint,
    golden_path_created bigint, new_service_adoption double, services_total bigint,
    golden_path_total bigint, overall_adoption double, below_threshold boolean, threshold double);
create table marts.adoption_monthly_by_team as
    select month, null::varchar as owner, * exclude (month) from marts.adoption_monthly limit 0;
create table marts.adoption_monthly_by_language as
    select month, null::varchar as language, * exclude (month) from marts.adoption_monthly limit 0;
create table marts.adoption_by_template (month date, golden_path varchar, services_created bigint);
create table marts.escape_hatches (service varchar, repo varchar, owner varchar,
    language varchar, reasons varchar[], spec_path varchar, created_at timestamp,
    since timestamp, age_days double, exception_requests bigint, open_exception_requests bigint,
    latest_request_repo varchar, latest_request_number bigint, latest_request_state varchar,
    latest_request_opened_at timestamp, latest_request_url varchar);
create table marts.escape_hatch_monthly (month date, spec_services bigint,
    escape_hatch_services bigint, escape_hatch_rate double, gpu bigint, sidecar bigint,
    declared bigint, other bigint);
create table config.settings (refresh_id varchar, as_of timestamp, adoption_threshold double);
create table marts.service_history (service varchar, repo varchar, created_at timestamp, valid_from timestamp,
    valid_to timestamp, on_golden_path boolean, golden_path varchar, template_commit varchar,
    escape_hatch boolean, escape_hatch_reasons varchar[], uses_platform_ci boolean,
    catalogued boolean, owner varchar, declared boolean, has_service_spec boolean,
    language varchar, stale_since timestamp);
create table marts.golden_path_retention (cohort_month date, golden_path varchar,
    days_after integer, services bigint, still_on_golden_path bigint, share double);
create table marts.escape_hatch_summary (spec_services bigint, escape_hatch_services bigint,
    escape_hatch_rate double, gpu bigint, sidecar bigint, declared bigint, other bigint);
create table marts.exception_requests (repo varchar, number bigint, title varchar, team varchar,
    state varchar, opened_at timestamp, closed_at timestamp, days_to_close double,
    labels varchar[], html_url varchar, service varchar, service_repo varchar,
    service_escape_hatch boolean);
create table marts.exception_requests_monthly (month date, opened bigint, closed bigint,
    open_at_month_end bigint, median_days_to_close double);
create table marts.teams (owner varchar, owner_ref varchar, services bigint,
    golden_path_services bigint, exception_requests bigint, has_services boolean,
    exception_labels varchar[]);
-- counted by hand from SERVICES and REQUESTS above; `research` labels a request but owns nothing
insert into marts.teams values
    ('ml', 'group:default/ml', 4, 2, 1, true, ['team:ml']),
    ('payments', 'group:default/payments', 4, 3, 2, true, ['team:payments']),
    ('research', 'group:default/research', 0, 0, 0, false, ['team:research']),
    ('web', 'group:default/web', 2, 1, 2, true, ['team:web']);
"""

FRICTION_DDL = """
create table marts.ci_runs (repo varchar, service varchar, workflow varchar, run_id bigint,
    run_attempt bigint, event varchar, conclusion varchar, created_at timestamp, queue_s double,
    duration_s double, failed boolean, succeeded boolean, on_golden_path boolean);
create table marts.ci_friction_monthly (month date, service varchar, repo varchar, runs bigint,
    failed bigint, failure_rate double, median_duration_s double, p90_duration_s double,
    median_queue_s double, rerun_rate double);
create table marts.deploys (service varchar, repo varchar, source varchar, cluster varchar,
    namespace varchar, environment varchar, deployed_at timestamp, revision varchar, status varchar,
    production boolean);
create table marts.time_to_first_deploy (service varchar, repo varchar, created_at timestamp,
    first_production_deploy_at timestamp, days double, on_golden_path boolean);
create table marts.golden_path_vs_diy (metric varchar, golden_path double, diy double,
    ratio double, golden_path_n bigint, diy_n bigint, golden_path_low double, golden_path_high double,
    diy_low double, diy_high double, p_value double, significant boolean, unit varchar,
    ratio_low double, ratio_high double, golden_path_design_effect double, diy_design_effect double,
    min_n bigint, strata bigint, stratified_golden_path_n bigint, stratified_diy_n bigint,
    stratified_ratio double, stratified_ratio_low double, stratified_ratio_high double,
    stratified_p_value double, stratified_significant boolean);
"""

# s-api (golden): 4 runs in May, 1 failed of 4 decided = 0.25, median duration 130 s.
# s-worker (DIY): 3 runs, 1 failed, 1 cancelled = 1 of 2 decided = 0.5, median 400 s.
CI_RUNS = [
    ("acme/s-api", "s-api", 1, "success", "2024-05-03 10:00", 100.0, True),
    ("acme/s-api", "s-api", 2, "success", "2024-05-04 10:00", 120.0, True),
    ("acme/s-api", "s-api", 3, "failure", "2024-05-05 10:00", 200.0, True),
    ("acme/s-api", "s-api", 4, "success", "2024-05-06 10:00", 140.0, True),
    ("acme/s-worker", "s-worker", 5, "failure", "2024-05-03 11:00", 300.0, False),
    ("acme/s-worker", "s-worker", 6, "success", "2024-05-04 11:00", 400.0, False),
    ("acme/s-worker", "s-worker", 7, "cancelled", "2024-05-05 11:00", 500.0, False),
]


def _ts(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(text)


def build(path: Path, *, friction: bool = False, maintenance: bool = False, extra_golden_in_may: int = 0,
          refreshed_at: datetime | None = None) -> Path:
    """Write the hand-built marts into a new DuckDB file at `path`; returns `path`.

    `extra_golden_in_may` adds that many golden-path services created in May (a later refresh):
    with 1, May's adoption is 3 of 6 = 0.5, at the threshold.
    """
    refreshed_at = refreshed_at or datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=2)
    services = list(SERVICES) + [
        (f"s-late{i}", f"acme/s-late{i}", "payments", "go", "2024-05-29", "go-service", True, None)
        for i in range(extra_golden_in_may)
    ]
    con = duckdb.connect(str(path))
    try:
        con.execute(DDL)
        con.execute("insert into marts.refresh_info values ('r1', 'demo', $as_of, $refreshed, "
                    "date '2024-05-01')", {"as_of": AS_OF, "refreshed": refreshed_at})
        for name, repo, owner, lang, created, golden, spec, reasons in services:
            con.execute(
                "insert into marts.services values ($service, $repo, $owner, $lang, 'production', "
                "$created, $owner is not null, $golden, $golden is not null, null, null, $spec, "
                "$reasons is not null, $reasons, $golden is not null, "
                "case when $spec then 'service.yaml' end, $service)",
                {"service": name, "repo": repo, "owner": owner, "lang": lang,
                 "created": datetime.fromisoformat(created), "golden": golden, "spec": spec,
                 "reasons": reasons},
            )
            con.execute("insert into marts.repos values ($repo, $created, $created, $lang, true, "
                        "$owner is not null, $spec, $golden is not null, 'https://github.com/' || $repo)",
                        {"repo": repo, "created": datetime.fromisoformat(created), "lang": lang,
                         "owner": owner, "spec": spec, "golden": golden})
            if reasons:
                # the requests naming it (REQUEST_SERVICES): at most one each here, all closed
                asked = [r for r in REQUESTS if REQUEST_SERVICES.get(r[1], (None,))[0] == name]
                latest = asked[-1] if asked else (None,) * 7
                con.execute("insert into marts.escape_hatches values ($s, $r, $o, $l, $reasons, "
                            "'service.yaml', $c, $c, epoch($as_of - $c) / 86400, $n, "
                            "$open, $qr, $qn, $qs, $qo, $qu)",
                            {"s": name, "r": repo, "o": owner, "l": lang, "reasons": reasons,
                             "c": datetime.fromisoformat(created), "as_of": AS_OF,
                             "n": len(asked), "open": sum(1 for a in asked if a[5] is None),
                             "qr": latest[0], "qn": latest[1],
                             "qs": None if not asked else ("closed" if latest[5] else "open"),
                             "qo": _ts(latest[4]), "qu": latest[6]})
            con.execute(
                "insert into marts.service_history values ($s, $r, $c, $c, null, $g is not null, $g, null, "
                "$reasons is not null, coalesce($reasons, []::varchar[]), $g is not null, $o is not null, "
                "$o, true, $spec, $l, null)",
                {"s": name, "r": repo, "c": datetime.fromisoformat(created), "g": golden,
                 "reasons": reasons, "o": owner, "spec": spec, "l": lang})
        adoption = list(ADOPTION)
        if extra_golden_in_may:
            n = extra_golden_in_may
            adoption = [
                row if row[0] < "2024-05-01" else
                (row[0], row[1] + (n if row[0] == "2024-05-01" else 0),
                 row[2] + (n if row[0] == "2024-05-01" else 0),
                 (row[2] + n) / (row[1] + n) if row[0] == "2024-05-01" else row[3],
                 row[4] + n, row[5] + n, (row[5] + n) / (row[4] + n),
                 ((row[2] + n) / (row[1] + n) < 0.5) if row[0] == "2024-05-01" else row[7])
                for row in ADOPTION
            ]
        for month, created, golden, nsa, total, gtotal, overall, below in adoption:
            con.execute("insert into marts.adoption_monthly values (?, ?, ?, ?, ?, ?, ?, ?, 0.5)",
                        [date.fromisoformat(month), created, golden, nsa, total, gtotal, overall,
                         below])
        for month, spec_n, escape_n, gpu, sidecar, declared, other in ESCAPE_MONTHLY:
            con.execute("insert into marts.escape_hatch_monthly values (?, ?, ?, ?, ?, ?, ?, ?)",
                        [date.fromisoformat(month), spec_n, escape_n, escape_n / spec_n, gpu, sidecar,
                         declared, other])
        for month, golden, days, n, still, share in RETENTION:
            con.execute("insert into marts.golden_path_retention values (?, ?, ?, ?, ?, ?)",
                        [date.fromisoformat(month), golden, days, n, still, share])
        spec_services = sum(1 for s in services if s[6])
        con.execute("insert into marts.escape_hatch_summary values (?, 4, ?, 2, 1, 1, 1)",
                    [spec_services, 4 / spec_services])
        for repo, number, title, team, opened, closed, url in REQUESTS:
            o, c = _ts(opened), _ts(closed)
            labels = ["golden-path-exception"] + ([f"team:{team}"] if team else [])
            con.execute(
                "insert into marts.exception_requests values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [repo, number, title, team, "closed" if c else "open", o, c,
                 (c - o).total_seconds() / 86400 if c else None, labels, url,
                 *REQUEST_SERVICES.get(number, (None, None, None))])
        for month, opened, closed, open_end, median in REQUESTS_MONTHLY:
            con.execute("insert into marts.exception_requests_monthly values (?, ?, ?, ?, ?)",
                        [date.fromisoformat(month), opened, closed, open_end, median])
        if friction:
            _friction(con)
        if maintenance:
            _maintenance(con)
        con.execute("insert into config.settings values ('r1', $as_of, 0.5)", {"as_of": AS_OF})
        create_macros(con)
    finally:
        con.close()
    return path


def _friction(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(FRICTION_DDL)
    for repo, service, run_id, conclusion, created, duration, golden in CI_RUNS:
        con.execute("insert into marts.ci_runs values (?, ?, 'ci.yml', ?, 1, 'push', ?, ?, 5.0, ?, "
                    "? in ('failure', 'timed_out', 'startup_failure'), ? = 'success', ?)",
                    [repo, service, run_id, conclusion, _ts(created), duration, conclusion, conclusion,
                     golden])
    # marts.ci_by_month reads per repo-month pre-aggregations of staging.workflow_runs: the same
    # runs in the shape the real models read (one service per repo here), built by those models
    con.execute("""create table staging.workflow_runs as
        select distinct repo, run_id, created_at, date_trunc('month', created_at)::date as month,
               duration_s, queue_s, failed, succeeded, run_attempt > 1 as rerun
        from marts.ci_runs""")
    con.execute("create table staging.ci_runs_monthly_compacted (repo varchar, month date)")
    con.execute("create view intermediate.services as select * from marts.services")
    models = {(m.schema, m.name): m for m in load_models()}
    for name in ("ci_repo_month_runs", "ci_months"):
        con.execute(build_statement(models[("intermediate", name)]))
    con.execute("""insert into marts.ci_friction_monthly values
        (date '2024-05-01', 's-api', 'acme/s-api', 4, 1, 0.25, 130.0, 182.0, 5.0, 0.0),
        (date '2024-05-01', 's-worker', 'acme/s-worker', 3, 1, 0.5, 400.0, 480.0, 5.0, 0.0)""")
    con.execute("""insert into marts.deploys values
        ('s-api', 'acme/s-api', 'kubernetes', 'prod-eu', 'payments', null, timestamp '2024-01-08 17:00', '1',
         'complete', true),
        ('s-worker', 'acme/s-worker', 'github', null, null, 'production', timestamp '2024-01-30 12:00', '7',
         'success', true)""")
    con.execute("""insert into marts.time_to_first_deploy
        select service, repo, created_at,
               case service when 's-api' then timestamp '2024-01-08 12:00'
                            when 's-worker' then timestamp '2024-01-30 00:00' end,
               case service when 's-api' then 3.5 when 's-worker' then 20.0 end,
               on_golden_path
        from marts.services""")
    # values as a refresh with comparisons.min_n = 1 would show them; the intervals and tests
    # are made up (the page only displays them)
    con.execute("""insert into marts.golden_path_vs_diy by name
        select * from (values
        ('ci_failure_rate', 0.25, 0.5, 0.5, 4, 3, 0.05, 0.7, 0.15, 0.85, 0.0004, true, 0.2, 1.25,
         0.8, 0.3, 2.1, 0.6, false),
        ('median_ci_duration_s', 130.0, 400.0, 0.325, 4, 3, 100.0, 160.0, null, null, 0.3, false, null, null,
         null, null, null, null, null),
        ('median_days_to_first_deploy', 3.5, 20.0, 0.175, 1, 1, null, null, null, null, null, null, null, null,
         null, null, null, null, null)
        ) as t(metric, golden_path, diy, ratio, golden_path_n, diy_n, golden_path_low, golden_path_high,
               diy_low, diy_high, p_value, significant, ratio_low, ratio_high, stratified_ratio,
               stratified_ratio_low, stratified_ratio_high, stratified_p_value, stratified_significant)""")
    con.execute("update marts.golden_path_vs_diy set min_n = 1, strata = 1")


def _maintenance(con: duckdb.DuckDBPyConnection) -> None:
    """Template drift of the golden-path services: s-api 12 commits behind go-service, s-pay2
    and s-new current, s-ml 30 behind python-service (stale: unchanged 283 days), s-ml2 not
    found, s-web missing; CI refs of s-api (@v3, 3 behind), s-worker (@main) and ml (@v3)."""
    con.execute("""
        create table marts.template_health as select * from (values
            ('go-service', 'gh:acme/template-go', timestamp '2024-06-05 00:00', 5.4, false, 180, 3, 2,
             0.0, 9.6, 0, 1, 0, 0.0, 20, 'aaa'),
            ('python-service', 'gh:acme/template-python', timestamp '2023-09-01 00:00', 283.4, true, 180, 2, 0,
             30.0, 30.0, 1, 1, 1, 1.0, 20, 'bbb'),
            ('ts-service', 'gh:acme/template-ts', timestamp '2024-05-01 00:00', 40.4, false, 180, 1, 0,
             null, null, 1, 0, 0, null, 20, 'ccc'))
        as t(golden_path, source, head_at, days_since_change, stale, stale_after_days, services,
             services_current, median_commits_behind, p90_commits_behind, services_unresolved,
             services_resolved, services_far_behind, share_far_behind, far_behind_commits, head_sha)""")
    con.execute("""
        create table marts.template_drift as select * from (values
            ('template', 's-api', 'acme/s-api', 'go-service', 'v1.2.0', 'a1', 12, 40.0, null),
            ('template', 's-pay2', 'acme/s-pay2', 'go-service', 'v1.5.0', 'a2', 0, 0.0, null),
            ('template', 's-new', 'acme/s-new', 'go-service', 'main', 'a2', 0, 0.0, null),
            ('template', 's-ml', 'acme/ml', 'python-service', 'v0.9', 'b1', 30, 200.0, null),
            ('template', 's-ml2', 'acme/ml2', 'python-service', 'deadbeef', null, null, null, 'not_found'),
            ('template', 's-web', 'acme/s-web', 'ts-service', null, null, null, null, 'missing'),
            ('ci', null, 'acme/s-api', 'acme/platform-workflows/.github/workflows/build.yml', 'v3', 'w1', 3, 10.0, null),
            ('ci', null, 'acme/s-worker', 'acme/platform-workflows/.github/workflows/build.yml', 'main', 'w2', 0, 0.0, null),
            ('ci', null, 'acme/ml', 'acme/platform-workflows/.github/workflows/build.yml', 'v3', 'w1', 3, 10.0, null))
        as t(kind, service, repo, golden_path, template_commit, resolved_sha, commits_behind, days_behind,
             unresolved_reason)""")
    con.execute("""
        create table marts.language_coverage as select * from (values
            ('python', 6, 2, true, ['python-service'], 2, 0.5, 0.5),
            ('go', 3, 3, true, ['go-service'], 2, 1.0, 0.5),
            ('typescript', 2, 1, true, ['ts-service'], 1, 0.0, 0.25),
            ('java', 1, 0, false, []::varchar[], 1, 0.0, 0.25))
        as t(language, services, golden_path_services, covered, golden_paths, services_created_90d,
             adoption_90d, share_of_new_90d)""")


def create_macros(con: duckdb.DuckDBPyConnection) -> None:
    """The real metric macros of sql/marts, over the hand-built tables: the pages' numbers
    come from the single definition, checked against the hand-worked ones above."""
    models = {(m.schema, m.name): m for m in load_models()}
    for key in model_order():
        model = models.get(key)
        if model is not None and model.materialized == "macro":
            try:
                con.execute(build_statement(model))
            except duckdb.CatalogException:
                pass  # it reads a mart this warehouse leaves out (friction, maintenance)


def publish_handbuilt(published: Path, **kwargs) -> Path:
    """Build the hand-built warehouse as a refresh would and publish it at `published`."""
    paths = WarehousePaths.for_(published)
    paths.build.unlink(missing_ok=True)
    build(paths.build, **kwargs)
    return publish(paths)
