-- The platform service spec of each in-scope repo (the configured spec file, parsed) at each
-- instant of the repo at which it was present; `is_current` marks today's.
select
    f.repo,
    f.instant,
    f.is_current,
    p.path as spec_path,
    p.name as spec_name,
    p.language as spec_language,
    p.has_override,
    p.override_gpu,
    p.override_sidecar
from intermediate.files_at as f
join staging.service_specs_by_version as p on p.repo = f.repo and p.path = f.path and p.blob = f.blob
cross join config.settings as s
where f.path = s.spec_file
