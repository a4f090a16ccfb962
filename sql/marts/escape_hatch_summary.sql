-- One row: services with a service spec, how many use the escape hatch, the rate, and how many
-- escape-hatch services carry each reason (a service can carry several), as of the refresh:
-- the unfiltered result of marts.escape_hatch_at() (one row also when there is no service).
select spec_services, escape_hatch_services, escape_hatch_rate, gpu, sidecar, declared, other, measured_at
from marts.escape_hatch_at()
