-- materialized: view
-- One row per GitHub deployment with its latest status. production: its environment
-- (compared case-insensitively) is one of deploys.production_environments.
select
    d.repo,
    d.deployment_id,
    d.environment,
    d.ref,
    d.sha,
    d.created_at,
    d.status_state,
    d.status_at,
    coalesce(
        list_contains(list_transform(s.production_environments, lambda e: lower(e)), lower(d.environment)),
        false
    ) as production
from raw.deployments as d
cross join config.settings as s
