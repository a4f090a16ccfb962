-- New-service and overall adoption per month, for the whole organisation (dimension 'all'),
-- per owner and per language. Each group's months run from its first service's month through
-- the refresh's month, with empty months kept (counts 0, ratios NULL). A NULL owner or language
-- is a group of its own.
with svc as (
    select 'all' as dimension, null::varchar as value, created_at, on_golden_path from staging.services
    union all
    select 'owner', owner, created_at, on_golden_path from staging.services
    union all
    select 'language', language, created_at, on_golden_path from staging.services
),

months as (
    select
        g.dimension,
        g.value,
        unnest(generate_series(g.first_month, date_trunc('month', s.as_of)::date, interval 1 month))::date as month
    from (
        select dimension, value, min(date_trunc('month', created_at))::date as first_month
        from svc
        group by dimension, value
    ) as g
    cross join staging.settings as s
),

created as (
    select
        dimension,
        value,
        date_trunc('month', created_at)::date as month,
        count(*) as services_created,
        count(*) filter (where on_golden_path) as golden_path_created
    from svc
    group by all
),

counted as (
    select
        m.dimension,
        m.value,
        m.month,
        coalesce(c.services_created, 0) as services_created,
        coalesce(c.golden_path_created, 0) as golden_path_created
    from months as m
    left join created as c
        on c.dimension = m.dimension and c.value is not distinct from m.value and c.month = m.month
),

cumulative as (
    select
        *,
        sum(services_created) over w as services_total,
        sum(golden_path_created) over w as golden_path_total
    from counted
    window w as (partition by dimension, value order by month rows between unbounded preceding and current row)
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
from cumulative as c
cross join staging.settings as s
