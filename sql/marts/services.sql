-- One row per service: who owns it (owner: the short form of the Backstage reference,
-- owner_ref: the full one), where it came from, whether it is on a golden path,
-- whether it uses the escape hatch and why, and whether it uses the platform CI. `stale_since`:
-- a file it is read from no longer parses and its last good version stands in (files_at).
select
    service, repo, owner, owner_ref, language, lifecycle, created_at, catalogued, golden_path,
    on_golden_path, template_source, template_commit, has_service_spec, escape_hatch,
    escape_hatch_reasons, uses_platform_ci, spec_path, kubernetes_id, stale_since
from intermediate.services
order by service, repo
