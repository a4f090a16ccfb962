-- materialized: macro
-- parameters: dimension := 'all', teams := NULL, languages := NULL, start := NULL, stop := NULL
-- New-service and overall adoption (SPEC §3) per month, for the whole selection (`dimension`
-- 'all', group_value NULL), per owner ('owner') or per language ('language'), of the services
-- marts.selected_history selects (the owner and language they had at that time):
-- - new-service adoption counts the services created in the month, each in its state at the
--   end of its creation day (UTC), grouped by its owner and language then;
-- - overall adoption counts the services created by the month's end, each in its state at that
--   instant, grouped by its owner and language then. The refresh's month is `partial`: its
--   figures are as of the refresh (`period_end` = as_of), every other month's at its end.
-- Each group's months run from its first service's month through the refresh's month, empty
-- months kept (counts 0, ratios NULL); a NULL owner or language is a group of its own. Only the
-- months overlapping [start, stop) are returned (NULL: unbounded).
with hist as (
    select group_value, created_at, valid_from, valid_to, on_golden_path, creation_state
    from marts.grouped_history(dimension := dimension, teams := teams, languages := languages)
),

-- the months of marts.selected_months, from hist's first month: one scan of the selection
-- (calling marts.selected_months scans it again, about 1 ms more per call on the demo)
months as (
    select
        m.month,
        m.month + interval 1 month as month_end,
        m.month = date_trunc('month', s.as_of)::date as partial,
        least((m.month + interval 1 month)::timestamp, s.as_of) as period_end
    from (
        select unnest(generate_series(f.first_month, date_trunc('month', s.as_of)::date, interval 1 month))::date as month
        from (select min(date_trunc('month', created_at))::date as first_month from hist) as f
        cross join config.settings as s
        where f.first_month is not null
    ) as m
    cross join config.settings as s
),

-- each service at the end of its creation day
at_creation as (
    select date_trunc('month', created_at)::date as month, group_value, on_golden_path
    from hist
    where creation_state
),

-- each service created by a month's end, in its state at that instant (the refresh's month:
-- today's state, the current interval)
at_month_end as (
    select m.month, h.group_value, h.on_golden_path
    from months as m
    join hist as h
        on h.valid_from < m.month_end
       and (h.valid_to is null or h.valid_to >= m.month_end)
),

created as (
    select group_value, month, count(*) as services_created, count(*) filter (where on_golden_path) as golden_path_created
    from at_creation
    group by all
),

totals as (
    select group_value, month, count(*) as services_total, count(*) filter (where on_golden_path) as golden_path_total
    from at_month_end
    group by all
),

groups as (
    select group_value, min(month) as first_month
    from (select group_value, month from created union all select group_value, month from totals)
    group by group_value
),

counted as (
    select
        g.group_value,
        m.month,
        coalesce(c.services_created, 0) as services_created,
        coalesce(c.golden_path_created, 0) as golden_path_created,
        coalesce(t.services_total, 0) as services_total,
        coalesce(t.golden_path_total, 0) as golden_path_total,
        m.partial,
        m.period_end
    from groups as g
    join months as m on m.month >= g.first_month
    left join created as c on c.group_value is not distinct from g.group_value and c.month = m.month
    left join totals as t on t.group_value is not distinct from g.group_value and t.month = m.month
)

select
    c.group_value,
    c.month,
    c.services_created::bigint as services_created,
    c.golden_path_created::bigint as golden_path_created,
    c.golden_path_created / nullif(c.services_created, 0) as new_service_adoption,
    c.services_total::bigint as services_total,
    c.golden_path_total::bigint as golden_path_total,
    c.golden_path_total / nullif(c.services_total, 0) as overall_adoption,
    c.golden_path_created / nullif(c.services_created, 0) < s.adoption_threshold as below_threshold,
    s.adoption_threshold as threshold,
    c.partial,
    c.period_end
from counted as c
cross join config.settings as s
where (start is null or c.month >= date_trunc('month', start::timestamp)::date)
  and (stop is null or c.month < stop::timestamp)
order by c.group_value nulls last, c.month
