-- materialized: view
-- CI figures per service repo and month, straight from the raw runs still held: runs, failed
-- (failure, timed_out, startup_failure), succeeded, re-runs (run_attempt > 1), median and p90
-- duration of completed runs, median queue time. marts.ci_friction_monthly reads it for live
-- months, and retention freezes exactly these figures when it compacts a month.
select
    repo,
    month,
    count(*) as runs,
    count(*) filter (where conclusion in ('failure', 'timed_out', 'startup_failure')) as failed,
    count(*) filter (where conclusion = 'success') as succeeded,
    count(*) filter (where run_attempt > 1) as reruns,
    quantile_cont(duration_s, [0.5, 0.9]) as duration_quantiles,  -- one pass for both
    median(queue_s) as median_queue_s
from (
    select
        repo,
        conclusion,
        run_attempt,
        date_trunc('month', created_at)::date as month,
        case when status = 'completed' then epoch(updated_at - run_started_at) end as duration_s,
        epoch(run_started_at - created_at) as queue_s
    from raw.workflow_runs
    where repo in (select repo from staging.services)
)
group by repo, month
