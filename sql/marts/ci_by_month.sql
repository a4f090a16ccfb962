-- materialized: macro
-- parameters: teams := NULL, languages := NULL, start := NULL, stop := NULL
-- CI runs (marts.ci_runs) created in [start, stop) (NULL: unbounded) of the selected services
-- (marts.selected_services, a service being its name and repo), per month, golden-path services
-- against the others (`on_golden_path`, today's state): how many runs (`n`), the failure rate
-- failed ÷ (failed + succeeded) and the median duration of completed runs (SPEC §3 "Workflow
-- run"). The refresh's month is `partial`.
with bounds as (
    select start::timestamp as lo, stop::timestamp as hi
),

-- Read without scanning every run: with no team or language filter, a month the period holds
-- whole is its stored figures (intermediate.ci_months); any other month is counted from the
-- month's rows of intermediate.ci_repo_month_runs, one per selected service of a repo (its
-- counts added, its durations put together for the median); only a repo-month the
-- period cuts through is read run by run.
whole_months as (
    select m.month, m.on_golden_path, m.n, m.failure_rate, m.median_duration_s
    from intermediate.ci_months as m, bounds as b
    where teams is null and languages is null
      and (b.lo is null or m.first_created_at >= b.lo) and (b.hi is null or m.last_created_at < b.hi)
),

cut_months as (
    select distinct m.month
    from intermediate.ci_months as m, bounds as b
    where teams is null and languages is null
      and not ((b.lo is null or m.first_created_at >= b.lo) and (b.hi is null or m.last_created_at < b.hi))
      and (b.hi is null or m.first_created_at < b.hi) and (b.lo is null or m.last_created_at >= b.lo)
),

repo_months as (
    select
        r.repo, r.month, r.runs, r.failed, r.succeeded, r.durations, s.service, s.on_golden_path,
        (b.lo is null or r.first_created_at >= b.lo) and (b.hi is null or r.last_created_at < b.hi) as whole
    from intermediate.ci_repo_month_runs as r
    join marts.selected_services(teams := teams, languages := languages) as s on s.repo = r.repo
    cross join bounds as b
    where (not (teams is null and languages is null) or r.month in (select month from cut_months))
      and (b.hi is null or r.first_created_at < b.hi) and (b.lo is null or r.last_created_at >= b.lo)
),

cut_runs as (
    select c.month, c.on_golden_path, w.failed, w.succeeded, w.duration_s
    from (select repo, month, service, on_golden_path from repo_months where not whole) as c
    join staging.workflow_runs as w on w.repo = c.repo and w.month = c.month
    -- the bounds as constants, so that the scan skips the row groups outside them
    where (start is null or w.created_at >= start::timestamp) and (stop is null or w.created_at < stop::timestamp)
),

counted as (
    select month, on_golden_path, runs, failed, succeeded from repo_months where whole
    union all
    select month, on_golden_path, 1, failed::int, succeeded::int from cut_runs
),

durations as (
    select month, on_golden_path, unnest(durations) as duration_s from repo_months where whole
    union all
    select month, on_golden_path, duration_s from cut_runs
),

medians as (
    select month, on_golden_path, median(duration_s) as median_duration_s
    from durations
    group by month, on_golden_path
),

months as (
    select * from whole_months
    union all
    select
        c.month,
        c.on_golden_path,
        sum(c.runs)::bigint as n,
        sum(c.failed) / nullif(sum(c.failed) + sum(c.succeeded), 0) as failure_rate,
        any_value(d.median_duration_s) as median_duration_s
    from counted as c
    left join medians as d
        on d.month is not distinct from c.month and d.on_golden_path is not distinct from c.on_golden_path
    group by c.month, c.on_golden_path
)

select m.*, m.month = date_trunc('month', s.as_of)::date as partial
from months as m
cross join config.settings as s
order by m.month, m.on_golden_path
