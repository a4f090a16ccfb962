-- One row per month, from the first service's month through the refresh's month: the
-- escape-hatch rate at the month's end (SPEC §3 "Escape-hatch rate"), each service created by
-- then in its state at that instant (marts.service_history; the current month's end: today's
-- state), and how many escape-hatch services carry each reason (a service can carry several);
-- the unfiltered result of marts.escape_hatch_by_month().
select
    month, spec_services, escape_hatch_services, escape_hatch_rate, gpu, sidecar, declared, other,
    partial, period_end
from marts.escape_hatch_by_month()
order by month
