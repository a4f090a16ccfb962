-- The platform service spec of each in-scope repo (the configured spec file, parsed).
select
    p.repo,
    p.path as spec_path,
    p.name as spec_name,
    p.language as spec_language,
    p.has_override,
    p.override_gpu,
    p.override_sidecar
from staging.service_specs as p
join staging.repos as r on r.repo = p.repo
cross join staging.settings as s
where p.path = s.spec_file
