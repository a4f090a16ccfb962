-- One row per service per refresh date (the dated snapshot every refresh appends): the
-- history of adoption and escape hatches, even where the sources keep only the present.
select
    snapshot_date, service, repo, owner, language, golden_path, on_golden_path,
    has_service_spec, escape_hatch, escape_hatch_reasons, uses_platform_ci
from staging.service_snapshots
order by snapshot_date, service, repo
