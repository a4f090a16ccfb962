-- One row per month with CI runs held × on_golden_path (today's state): the figures of
-- marts.ci_by_month without a filter, computed once at the refresh — how many runs (`n`, a
-- monorepo's runs once per service of it, as marts.ci_runs counts them), the failure rate
-- failed ÷ (failed + succeeded), the median duration of completed runs — and the first and
-- last run's created_at in the month (any golden-path side), so the macro can tell whether a
-- period holds the month whole.
with runs as (
    select r.*, s.on_golden_path
    from intermediate.ci_repo_month_runs as r
    join intermediate.services as s on s.repo = r.repo
),

counted as (
    select
        month,
        on_golden_path,
        sum(runs)::bigint as n,
        sum(failed)::bigint as failed,
        sum(succeeded)::bigint as succeeded
    from runs
    group by month, on_golden_path
),

medians as (
    select month, on_golden_path, median(duration_s) as median_duration_s
    from (select month, on_golden_path, unnest(durations) as duration_s from runs)
    group by month, on_golden_path
),

spans as (
    select month, min(first_created_at) as first_created_at, max(last_created_at) as last_created_at
    from intermediate.ci_repo_month_runs
    group by month
)

select
    c.month,
    c.on_golden_path,
    c.n,
    c.failed / nullif(c.failed + c.succeeded, 0) as failure_rate,
    m.median_duration_s,
    p.first_created_at,
    p.last_created_at
from counted as c
left join medians as m on m.month is not distinct from c.month and m.on_golden_path is not distinct from c.on_golden_path
join spans as p on p.month is not distinct from c.month
order by c.month, c.on_golden_path
