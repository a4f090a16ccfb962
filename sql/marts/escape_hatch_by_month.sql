-- materialized: macro
-- parameters: teams := NULL, languages := NULL, start := NULL, stop := NULL
-- The escape-hatch rate (SPEC §3) at each month's end, from the first service's month through
-- the refresh's month (then only the months overlapping [start, stop)): of the services of the
-- selection (marts.selected_history: owner and language at that time) that exist at the
-- month's end, each in its state at that instant, those with a service spec, those using the
-- escape hatch, the rate, and how many escape-hatch services carry each reason. The refresh's
-- month is `partial` (today's state; `period_end` = as_of).
with hist as (
    select * from marts.selected_history(teams := teams, languages := languages)
),

months as (
    select * from marts.selected_months(teams := teams, languages := languages)
),

at_month_end as (
    select m.month, m.partial, m.period_end, h.has_service_spec, h.escape_hatch, h.escape_hatch_reasons
    from months as m
    left join hist as h
        on h.valid_from < m.month_end
       and (h.valid_to is null or h.valid_to >= m.month_end)
)

select
    a.month,
    count(*) filter (where a.has_service_spec) as spec_services,
    count(*) filter (where a.escape_hatch) as escape_hatch_services,
    count(*) filter (where a.escape_hatch) / nullif(count(*) filter (where a.has_service_spec), 0) as escape_hatch_rate,
    count(*) filter (where a.escape_hatch and list_contains(a.escape_hatch_reasons, 'gpu')) as gpu,
    count(*) filter (where a.escape_hatch and list_contains(a.escape_hatch_reasons, 'sidecar')) as sidecar,
    count(*) filter (
        where a.escape_hatch and len(list_filter(a.escape_hatch_reasons, lambda r: starts_with(r, 'declared:'))) > 0
    ) as declared,
    count(*) filter (where a.escape_hatch and list_contains(a.escape_hatch_reasons, 'other')) as other,
    a.partial,
    a.period_end
from at_month_end as a
where (start is null or a.month >= date_trunc('month', start::timestamp)::date)
  and (stop is null or a.month < stop::timestamp)
group by a.month, a.partial, a.period_end
order by a.month
