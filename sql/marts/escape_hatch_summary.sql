-- One row: services with a service spec, how many use the escape hatch, the rate, and how
-- many escape-hatch services carry each reason (a service can carry several).
select
    count(*) filter (where has_service_spec) as spec_services,
    count(*) filter (where escape_hatch) as escape_hatch_services,
    count(*) filter (where escape_hatch) / nullif(count(*) filter (where has_service_spec), 0) as escape_hatch_rate,
    count(*) filter (where escape_hatch and list_contains(escape_hatch_reasons, 'gpu')) as gpu,
    count(*) filter (where escape_hatch and list_contains(escape_hatch_reasons, 'sidecar')) as sidecar,
    count(*) filter (
        where escape_hatch and len(list_filter(escape_hatch_reasons, lambda r: starts_with(r, 'declared:'))) > 0
    ) as declared,
    count(*) filter (where escape_hatch and list_contains(escape_hatch_reasons, 'other')) as other
from staging.services
