-- One row per service repo and month with CI runs held (staging.workflow_runs): how many runs,
-- failed, succeeded, re-runs, the median and p90 duration of completed runs and the median
-- queue time (the figures of intermediate.ci_repo_monthly, which marts.ci_friction_monthly
-- reads from here), the first and last run's created_at, and the durations of its completed
-- runs as a list. The month's runs in a form marts.ci_by_month reads per selected
-- service instead of scanning every run: counts add up, and the median over several rows is
-- the median of their lists put together, exact. One pass over the runs for both: the CI
-- figures of a refresh cost one scan. The list is a multiset: its order is whatever the
-- parallel aggregation gave and means nothing (every reader takes quantiles, which do not
-- depend on it); sorting 19 M durations into order on the large demo cost a third of the
-- table's build for a property nobody reads. Stored ordered by repo and month. A month
-- retention compacted (staging.ci_runs_monthly_compacted) is left out, as in
-- marts.ci_friction_monthly: its runs are deleted by then, and runs of it read again later
-- do not count (reading that table also builds this one after the compaction step).
with per_month as (
    select
        repo,
        month,
        count(*) as runs,
        count(*) filter (where failed) as failed,
        count(*) filter (where succeeded) as succeeded,
        count(*) filter (where rerun) as reruns,
        median(queue_s) as median_queue_s,
        min(created_at) as first_created_at,
        max(created_at) as last_created_at,
        coalesce(list(duration_s) filter (where duration_s is not null), [])::double[] as durations
    from staging.workflow_runs
    where repo in (select repo from intermediate.services)
    group by repo, month
)

select
    repo,
    month,
    runs,
    failed,
    succeeded,
    reruns,
    -- the same aggregate as intermediate.ci_repo_monthly's, over the month's durations (NULL
    -- when none completed)
    list_aggregate(durations, 'quantile_cont', [0.5, 0.9]) as duration_quantiles,
    median_queue_s,
    first_created_at,
    last_created_at,
    durations
from per_month as p
-- a compacted repo-month left out whole: checked once per repo-month, not once per run
where not exists (
    select 1 from staging.ci_runs_monthly_compacted as c
    where c.repo = p.repo and c.month = p.month
)
order by repo, month
