-- materialized: view
-- One row per GitHub Actions run × service of its repo (a monorepo's runs belong to each of
-- its services). queue_s = run_started_at - created_at; duration_s = updated_at -
-- run_started_at for completed runs only. failed: conclusion failure, timed_out or
-- startup_failure. A re-run has run_attempt > 1. A view: tens of millions of runs are not
-- copied once more, and queries on it read raw.workflow_runs directly.
select
    w.repo,
    s.service,
    w.workflow_name as workflow,
    w.workflow_path,
    w.run_id,
    w.run_attempt,
    w.event,
    w.status,
    w.conclusion,
    w.created_at,
    epoch(w.run_started_at - w.created_at) as queue_s,
    case when w.status = 'completed' then epoch(w.updated_at - w.run_started_at) end as duration_s,
    coalesce(w.conclusion in ('failure', 'timed_out', 'startup_failure'), false) as failed,
    coalesce(w.conclusion = 'success', false) as succeeded,
    s.on_golden_path
from raw.workflow_runs as w
join staging.services as s on s.repo = w.repo
