-- materialized: view
-- One row per service per refresh date: the per-service state every refresh appends.
select
    snapshot_date, refresh_id, service, repo, owner, language, golden_path, on_golden_path,
    has_service_spec, escape_hatch, escape_hatch_reasons, uses_platform_ci
from raw.service_snapshots
