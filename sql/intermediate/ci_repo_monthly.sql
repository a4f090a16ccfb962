-- materialized: view
-- CI figures per service repo and month, from the runs still held (staging.workflow_runs):
-- runs, failed, succeeded, re-runs, median and p90 duration of completed runs, median queue
-- time. marts.ci_friction_monthly reads it for live months, and retention freezes exactly
-- these figures when it compacts a month.
select
    repo,
    month,
    count(*) as runs,
    count(*) filter (where failed) as failed,
    count(*) filter (where succeeded) as succeeded,
    count(*) filter (where rerun) as reruns,
    quantile_cont(duration_s, [0.5, 0.9]) as duration_quantiles,  -- one pass for both
    median(queue_s) as median_queue_s
from staging.workflow_runs
where repo in (select repo from intermediate.services)
group by repo, month
