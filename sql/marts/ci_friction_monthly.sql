-- One row per month × service, from the service's first run's month through the refresh's
-- month (months without runs kept: counts 0, ratios NULL). failure_rate = failed / (failed +
-- succeeded); durations over completed runs; rerun_rate = runs with run_attempt > 1 / runs.
-- A repo's runs belong to each of its services, so the figures are aggregated once per repo
-- and month, then given to each service of the repo. Months whose runs were compacted
-- (ci.retention_days) come from staging.ci_runs_monthly_compacted: their counts are exact and their
-- medians and p90 frozen as computed at compaction.
with repo_monthly as (
    select
        repo, month, runs, failed, succeeded, reruns,
        [median_duration_s, p90_duration_s] as duration_quantiles,
        median_queue_s
    from staging.ci_runs_monthly_compacted
    where repo in (select repo from intermediate.services)
    union all by name
    -- the live months, compacted ones left out there (a compacted month is frozen: runs of it
    -- read again later do not count); the same figures as intermediate.ci_repo_monthly, read
    -- from the table marts.ci_by_month reads too, so a refresh scans the runs once
    select repo, month, runs, failed, succeeded, reruns, duration_quantiles, median_queue_s
    from intermediate.ci_repo_month_runs
),

months as (
    select
        f.repo,
        unnest(generate_series(f.first_month, date_trunc('month', s.as_of)::date, interval 1 month))::date as month
    from (select repo, min(month) as first_month from repo_monthly group by repo) as f
    cross join config.settings as s
)

select
    m.month,
    sv.service,
    m.repo,
    coalesce(x.runs, 0) as runs,
    coalesce(x.failed, 0) as failed,
    coalesce(x.succeeded, 0) as succeeded,
    x.failed / nullif(x.failed + x.succeeded, 0) as failure_rate,
    x.duration_quantiles[1] as median_duration_s,
    x.duration_quantiles[2] as p90_duration_s,
    x.median_queue_s,
    x.reruns / nullif(x.runs, 0) as rerun_rate
from months as m
join intermediate.services as sv on sv.repo = m.repo
left join repo_monthly as x on x.repo = m.repo and x.month = m.month
order by sv.service, m.repo, m.month
