-- materialized: view
-- CI figures per service repo and month, from the runs still held (staging.workflow_runs):
-- runs, failed, succeeded, re-runs, median and p90 duration of completed runs, median queue
-- time. Retention freezes exactly these figures when it compacts a month; for the live months
-- marts.ci_friction_monthly reads the same figures from intermediate.ci_repo_month_runs, built
-- in the same pass as the runs' durations.
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
