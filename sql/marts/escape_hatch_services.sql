-- materialized: macro
-- parameters: teams := NULL, languages := NULL, start := NULL, stop := NULL
-- The services of the selection (marts.selected_history: owner and language at that time) that
-- use the escape hatch at the end of the period [start, stop) (NULL stop: the refresh's as_of),
-- each in its state at that instant, with its reasons then; `since` when the escape hatch first
-- appears in its history (as marts.escape_hatches), `age_days` from then to the period's end;
-- and `new_in_period`: it did not use the escape hatch at the period's start (or did not exist
-- yet; with a NULL start, every one is new).
with p as (
    -- the period's end and the state it counts (marts.measured_instant at `stop`)
    select start::timestamp as period_start, measured_at as period_end, state_at
    from marts.measured_instant(instant := stop)
),

at_end as (
    select h.*
    from marts.selected_history(teams := teams, languages := languages) as h
    cross join p
    where h.escape_hatch and h.valid_from < p.state_at and (h.valid_to is null or h.valid_to >= p.state_at)
),

at_start as (
    select h.service, h.repo
    from marts.service_history as h
    cross join p
    where h.escape_hatch and h.valid_from < p.period_start and (h.valid_to is null or h.valid_to >= p.period_start)
),

since as (
    select service, repo, min(valid_from) as since
    from marts.service_history
    where escape_hatch
    group by service, repo
)

select
    e.service,
    e.repo,
    e.owner,
    e.language,
    e.escape_hatch_reasons as reasons,
    sv.spec_path,
    e.created_at,
    si.since,
    epoch(p.period_end - si.since) / 86400 as age_days,
    b.service is null as new_in_period,
    p.period_start,
    p.period_end
from at_end as e
cross join p
left join at_start as b on b.service = e.service and b.repo = e.repo
left join since as si on si.service = e.service and si.repo = e.repo
left join marts.services as sv on sv.service = e.service and sv.repo = e.repo
order by si.since desc, e.service, e.repo
