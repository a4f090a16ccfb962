-- materialized: view
-- One row per service per refresh date (the day's last refresh; raw.service_snapshots): the state
-- that refresh saw at `observed_at` (its as_of; the date's midnight where an older pathlens did not
-- record it) and what it read from no git file — the Backstage API component (`catalog_source` =
-- 'backstage') and the repo's GitHub language. `has_inputs`: those were recorded (rows of an older
-- pathlens lack them, and lack `catalogued`, read then as "had an owner").
select
    snapshot_date,
    refresh_id,
    coalesce(observed_at, snapshot_date::timestamp) as observed_at,
    observed_at is not null as has_inputs,
    service,
    repo,
    owner,
    language,
    golden_path,
    on_golden_path,
    has_service_spec,
    escape_hatch,
    escape_hatch_reasons,
    uses_platform_ci,
    coalesce(catalogued, owner is not null) as catalogued,
    template_commit,
    catalog_source,
    catalog_type,
    catalog_owner,
    lifecycle,
    source_template,
    kubernetes_id,
    declared_escape_hatch_reason,
    template_version,
    repo_language
from raw.service_snapshots
