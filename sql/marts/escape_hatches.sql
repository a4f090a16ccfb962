-- One row per service whose service spec sets the escape hatch, with its sorted reasons.
select
    service, repo, owner, language, escape_hatch_reasons as reasons, spec_path, created_at
from staging.services
where escape_hatch
order by service, repo
