-- One row per service and interval of constant state (SPEC §3 "Service history"), for every
-- service that exists today: `valid_from` inclusive, `valid_to` exclusive (NULL: the current
-- state), rebuilt from the git history of the files the service is read from by the same rules
-- as marts.services. The first interval starts at the service's `created_at` (also a column, so
-- a filtered history still knows when each service was created).
select
    service, repo, created_at, valid_from, valid_to, on_golden_path, golden_path, template_commit, escape_hatch,
    escape_hatch_reasons, uses_platform_ci, catalogued, owner, declared, has_service_spec, language, stale_since
from intermediate.service_history
order by service, repo, valid_from
