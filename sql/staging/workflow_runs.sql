-- materialized: view
-- One row per GitHub Actions run (its latest attempt), with the per-run rules of SPEC §3
-- written once: queue_s = run_started_at - created_at; duration_s = updated_at -
-- run_started_at for completed runs only; failed = conclusion failure, timed_out or
-- startup_failure; succeeded = conclusion success; rerun = run_attempt > 1. A view: tens of
-- millions of runs are not copied again, and every reader scans raw.workflow_runs directly.
select
    repo,
    run_id,
    run_attempt,
    workflow_id,
    workflow_name,
    workflow_path,
    event,
    status,
    conclusion,
    head_branch,
    created_at,
    date_trunc('month', created_at)::date as month,
    run_started_at,
    updated_at,
    epoch(run_started_at - created_at) as queue_s,
    case when status = 'completed' then epoch(updated_at - run_started_at) end as duration_s,
    coalesce(conclusion in ('failure', 'timed_out', 'startup_failure'), false) as failed,
    coalesce(conclusion = 'success', false) as succeeded,
    coalesce(run_attempt > 1, false) as rerun
from raw.workflow_runs
