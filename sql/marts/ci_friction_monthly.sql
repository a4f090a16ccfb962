-- One row per month × service, from the service's first run's month through the refresh's
-- month (months without runs kept: counts 0, ratios NULL). failure_rate = failed / (failed +
-- succeeded); durations over completed runs; rerun_rate = runs with run_attempt > 1 / runs.
-- Months whose runs were compacted (ci.retention_days) come from raw.ci_runs_monthly_compacted:
-- their counts are exact and their medians and p90 are frozen as computed at compaction.
with live as (
    select
        service,
        repo,
        date_trunc('month', created_at)::date as month,
        count(*) as runs,
        count(*) filter (where failed) as failed,
        count(*) filter (where succeeded) as succeeded,
        count(*) filter (where run_attempt > 1) as reruns,
        median(duration_s) as median_duration_s,
        quantile_cont(duration_s, 0.9) as p90_duration_s,
        median(queue_s) as median_queue_s
    from marts.ci_runs
    group by all
),

compacted as (
    select
        c.service, c.repo, c.month, c.runs, c.failed, c.succeeded, c.reruns,
        c.median_duration_s, c.p90_duration_s, c.median_queue_s
    from raw.ci_runs_monthly_compacted as c
    join staging.services as s on s.service = c.service and s.repo = c.repo
),

monthly as (
    select * from compacted
    union all by name
    -- marts.ci_runs leaves out runs of compacted months, so the two never overlap
    select * from live
),

months as (
    select
        f.service,
        f.repo,
        unnest(generate_series(f.first_month, date_trunc('month', s.as_of)::date, interval 1 month))::date as month
    from (
        select service, repo, min(month) as first_month
        from monthly
        group by service, repo
    ) as f
    cross join staging.settings as s
)

select
    m.month,
    m.service,
    m.repo,
    coalesce(x.runs, 0) as runs,
    coalesce(x.failed, 0) as failed,
    x.failed / nullif(x.failed + x.succeeded, 0) as failure_rate,
    x.median_duration_s,
    x.p90_duration_s,
    x.median_queue_s,
    x.reruns / nullif(x.runs, 0) as rerun_rate
from months as m
left join monthly as x on x.service = m.service and x.repo = m.repo and x.month = m.month
order by m.service, m.repo, m.month
