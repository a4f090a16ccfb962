-- One row per month, from the first service's month through the refresh's month: the
-- escape-hatch rate at the month's end (SPEC §3 "Escape-hatch rate"), each service created by
-- then in its state at that instant (marts.service_history; the current month's end: today's
-- state), and how many escape-hatch services carry each reason (a service can carry several).
with months as (
    select
        unnest(generate_series(f.first_month, date_trunc('month', s.as_of)::date, interval 1 month))::date as month
    from (select min(date_trunc('month', created_at))::date as first_month from intermediate.service_history) as f
    cross join config.settings as s
    where f.first_month is not null
),

at_month_end as (
    select m.month, h.has_service_spec, h.escape_hatch, h.escape_hatch_reasons
    from months as m
    left join intermediate.service_history as h
        on h.valid_from < m.month + interval 1 month
       and (h.valid_to is null or h.valid_to >= m.month + interval 1 month)
)

select
    month,
    count(*) filter (where has_service_spec) as spec_services,
    count(*) filter (where escape_hatch) as escape_hatch_services,
    count(*) filter (where escape_hatch) / nullif(count(*) filter (where has_service_spec), 0) as escape_hatch_rate,
    count(*) filter (where escape_hatch and list_contains(escape_hatch_reasons, 'gpu')) as gpu,
    count(*) filter (where escape_hatch and list_contains(escape_hatch_reasons, 'sidecar')) as sidecar,
    count(*) filter (
        where escape_hatch and len(list_filter(escape_hatch_reasons, lambda r: starts_with(r, 'declared:'))) > 0
    ) as declared,
    count(*) filter (where escape_hatch and list_contains(escape_hatch_reasons, 'other')) as other
from at_month_end
group by month
order by month
