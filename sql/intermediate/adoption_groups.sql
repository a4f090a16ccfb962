-- New-service and overall adoption per month, for the whole organisation (dimension 'all'),
-- per owner and per language, from service history (intermediate.service_history):
-- - new-service adoption counts the services created in the month, each in its state at the
--   end of its creation day (UTC), grouped by its owner and language then;
-- - overall adoption counts the services created on or before the month's last day, each in
--   its state at the month's end (the current month's end: today's state), grouped by its
--   owner and language at that instant.
-- Each group's months run from the first month it has a service through the refresh's month,
-- with empty months kept (counts 0, ratios NULL). A NULL owner or language is a group of its own.
with months as (
    select
        unnest(generate_series(f.first_month, date_trunc('month', s.as_of)::date, interval 1 month))::date as month
    from (select min(date_trunc('month', created_at))::date as first_month from intermediate.service_history) as f
    cross join config.settings as s
    where f.first_month is not null
),

month_ends as (
    select month, (month + interval 1 month)::timestamp as next_month from months
),

-- each service at the end of its creation day
at_creation as (
    select date_trunc('month', h.created_at)::date as month, h.on_golden_path, h.owner, h.language
    from intermediate.service_history as h
    where h.valid_from < date_trunc('day', h.created_at) + interval 1 day
      and (h.valid_to is null or h.valid_to >= date_trunc('day', h.created_at) + interval 1 day)
),

-- each service created by a month's end, in its state at that instant
at_month_end as (
    select m.month, h.on_golden_path, h.owner, h.language
    from month_ends as m
    join intermediate.service_history as h
        on h.valid_from < m.next_month and (h.valid_to is null or h.valid_to >= m.next_month)
),

created as (
    select dimension, value, month, count(*) as services_created, count(*) filter (where on_golden_path) as golden_path_created
    from (
        select 'all' as dimension, null::varchar as value, month, on_golden_path from at_creation
        union all
        select 'owner', owner, month, on_golden_path from at_creation
        union all
        select 'language', language, month, on_golden_path from at_creation
    )
    group by all
),

totals as (
    select dimension, value, month, count(*) as services_total, count(*) filter (where on_golden_path) as golden_path_total
    from (
        select 'all' as dimension, null::varchar as value, month, on_golden_path from at_month_end
        union all
        select 'owner', owner, month, on_golden_path from at_month_end
        union all
        select 'language', language, month, on_golden_path from at_month_end
    )
    group by all
),

groups as (
    select dimension, value, min(month) as first_month
    from (select dimension, value, month from created union all select dimension, value, month from totals)
    group by dimension, value
),

counted as (
    select
        g.dimension,
        g.value,
        m.month,
        coalesce(c.services_created, 0) as services_created,
        coalesce(c.golden_path_created, 0) as golden_path_created,
        coalesce(t.services_total, 0) as services_total,
        coalesce(t.golden_path_total, 0) as golden_path_total
    from groups as g
    join months as m on m.month >= g.first_month
    left join created as c
        on c.dimension = g.dimension and c.value is not distinct from g.value and c.month = m.month
    left join totals as t
        on t.dimension = g.dimension and t.value is not distinct from g.value and t.month = m.month
)

select
    c.dimension,
    c.value,
    c.month,
    c.services_created::bigint as services_created,
    c.golden_path_created::bigint as golden_path_created,
    c.golden_path_created / nullif(c.services_created, 0) as new_service_adoption,
    c.services_total::bigint as services_total,
    c.golden_path_total::bigint as golden_path_total,
    c.golden_path_total / nullif(c.services_total, 0) as overall_adoption,
    c.golden_path_created / nullif(c.services_created, 0) < s.adoption_threshold as below_threshold,
    s.adoption_threshold as threshold
from counted as c
cross join config.settings as s
