-- One row: services with a service spec, how many use the escape hatch, the rate, and how
-- many escape-hatch services carry each reason (a service can carry several) — today: the
-- refresh's month of marts.escape_hatch_monthly, whose end is past today, so every service is
-- in its current state. One definition for the series and for today.
select spec_services, escape_hatch_services, escape_hatch_rate, gpu, sidecar, declared, other
from marts.escape_hatch_monthly
where month = (select date_trunc('month', as_of)::date from config.settings)
union all
-- no service at all: still one row
select 0, 0, null, 0, 0, 0, 0
where not exists (select 1 from marts.escape_hatch_monthly)
