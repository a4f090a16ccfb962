-- materialized: view
-- One row per repo and month whose runs retention compacted (ci.retention_days): the counts
-- and the medians / p90 frozen as computed at compaction.
select
    month, repo, runs, failed, succeeded, reruns, median_duration_s, p90_duration_s,
    median_queue_s, compacted_at
from raw.ci_runs_monthly_compacted
