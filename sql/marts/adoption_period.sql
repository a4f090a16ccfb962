-- materialized: macro
-- parameters: dimension := 'all', teams := NULL, languages := NULL, start := NULL, stop := NULL
-- Adoption over one period [start, stop) (NULL start: from the first service; NULL stop: up to
-- the refresh), for the whole selection (`dimension` 'all', group_value NULL), per owner or per
-- language, of the services marts.selected_history selects (owner and language at that time):
-- - services_created / golden_path_created / new_service_adoption: the services created in the
--   period, each in its state at the end of its creation day (NULL adoption when none);
-- - services_total / golden_path_total / overall_adoption: the services created by the period's
--   end, each in its state at that instant (`period_end`; today's state when the period reaches
--   the refresh's as_of, and then `partial` is true).
-- One row per group with a service created in the period or existing at its end (for 'all',
-- always one row).
with p as (
    select
        start::timestamp as period_start,
        i.measured_at as period_end,
        stop is null or stop::timestamp > s.as_of as partial,
        -- the instant whose state counts: the current interval once the period reaches as_of
        i.state_at,
        s.adoption_threshold
    from marts.measured_instant(instant := stop) as i
    cross join config.settings as s
),

hist as (
    select group_value, created_at, valid_from, valid_to, on_golden_path, creation_state
    from marts.grouped_history(dimension := dimension, teams := teams, languages := languages)
),

-- the services created in the period, each at the end of its creation day (marts.services_created)
created as (
    select group_value, count(*) as services_created, count(*) filter (where on_golden_path) as golden_path_created
    from hist
    where creation_state
      and (start is null or created_at >= start::timestamp)
      and (stop is null or created_at < stop::timestamp)
    group by all
),

at_end as (
    select h.group_value, count(*) as services_total, count(*) filter (where h.on_golden_path) as golden_path_total
    from hist as h
    cross join p
    where h.valid_from < p.state_at and (h.valid_to is null or h.valid_to >= p.state_at)
    group by h.group_value
),

counted as (
    select
        coalesce(c.group_value, e.group_value) as group_value,
        coalesce(c.services_created, 0) as services_created,
        coalesce(c.golden_path_created, 0) as golden_path_created,
        coalesce(e.services_total, 0) as services_total,
        coalesce(e.golden_path_total, 0) as golden_path_total
    from created as c
    full join at_end as e on e.group_value is not distinct from c.group_value
    union all
    -- the whole selection has its row even when it holds no service
    select null, 0, 0, 0, 0 where dimension = 'all' and not exists (select 1 from at_end) and not exists (select 1 from created)
)

select
    c.group_value,
    p.period_start,
    p.period_end,
    p.partial,
    c.services_created::bigint as services_created,
    c.golden_path_created::bigint as golden_path_created,
    c.golden_path_created / nullif(c.services_created, 0) as new_service_adoption,
    c.services_total::bigint as services_total,
    c.golden_path_total::bigint as golden_path_total,
    c.golden_path_total / nullif(c.services_total, 0) as overall_adoption,
    c.golden_path_created / nullif(c.services_created, 0) < p.adoption_threshold as below_threshold
from counted as c
cross join p
order by c.group_value nulls last
