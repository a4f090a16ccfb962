-- materialized: macro
-- parameters: teams := NULL, languages := NULL, instant := NULL
-- The escape-hatch rate (SPEC §3) at one instant `instant` (NULL: the refresh's as_of): of the
-- services that exist then, each in its state at that instant (marts.selected_history, owner
-- and language then), how many have a service spec, how many use the escape hatch, the rate,
-- and how many escape-hatch services carry each reason (a service can carry several).
-- `measured_at` is the instant (at most as_of: from as_of on, every service counts in today's
-- state; marts.measured_instant). One row, also when nothing is selected.
with p as (
    select measured_at, state_at from marts.measured_instant(instant := instant)
),

svc as (
    select h.has_service_spec, h.escape_hatch, h.escape_hatch_reasons
    from marts.selected_history(teams := teams, languages := languages) as h
    cross join p
    where h.valid_from < p.state_at and (h.valid_to is null or h.valid_to >= p.state_at)
)

select
    p.measured_at,
    count(*) filter (where v.has_service_spec) as spec_services,
    count(*) filter (where v.escape_hatch) as escape_hatch_services,
    count(*) filter (where v.escape_hatch) / nullif(count(*) filter (where v.has_service_spec), 0) as escape_hatch_rate,
    count(*) filter (where v.escape_hatch and list_contains(v.escape_hatch_reasons, 'gpu')) as gpu,
    count(*) filter (where v.escape_hatch and list_contains(v.escape_hatch_reasons, 'sidecar')) as sidecar,
    count(*) filter (
        where v.escape_hatch and len(list_filter(v.escape_hatch_reasons, lambda r: starts_with(r, 'declared:'))) > 0
    ) as declared,
    count(*) filter (where v.escape_hatch and list_contains(v.escape_hatch_reasons, 'other')) as other
from p
left join svc as v on true
group by p.measured_at
