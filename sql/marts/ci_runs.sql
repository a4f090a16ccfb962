-- materialized: view
-- One row per GitHub Actions run × service of its repo (a monorepo's runs belong to each of
-- its services), with the per-run rules of staging.workflow_runs (queue_s, duration_s,
-- failed, succeeded). A view: tens of millions of runs are not copied once more.
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
    w.queue_s,
    w.duration_s,
    w.failed,
    w.succeeded,
    s.on_golden_path
from staging.workflow_runs as w
join intermediate.services as s on s.repo = w.repo
