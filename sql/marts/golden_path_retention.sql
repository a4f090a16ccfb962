-- One row per creation month, golden path and `days_after` in 30, 90, 180, 365 (SPEC §3
-- "Golden-path retention"): of the services created on a golden path (in their state at the
-- end of their creation day, marts.service_history), how many could be checked `days_after`
-- days later (`created_at + days_after` on or before the refresh's as_of: `services`), how
-- many of those were still on a golden path then (any configured one), and the share (NULL
-- when none could be checked yet).
with starters as (
    select h.service, h.repo, h.created_at, date_trunc('month', h.created_at)::date as cohort_month, h.golden_path
    from intermediate.service_history as h
    where h.on_golden_path
      and h.valid_from < date_trunc('day', h.created_at) + interval 1 day
      and (h.valid_to is null or h.valid_to >= date_trunc('day', h.created_at) + interval 1 day)
),

checks as (
    select
        st.*,
        d.days_after,
        st.created_at + to_days(d.days_after) as checked_at,
        st.created_at + to_days(d.days_after) <= s.as_of as due
    from starters as st
    cross join (select unnest([30, 90, 180, 365]) as days_after) as d
    cross join config.settings as s
),

later as (
    select c.*, h.on_golden_path as still_on
    from checks as c
    left join intermediate.service_history as h
        on h.service = c.service
       and h.repo = c.repo
       and h.valid_from <= c.checked_at
       and (h.valid_to is null or h.valid_to > c.checked_at)
)

select
    cohort_month,
    golden_path,
    days_after,
    count(*) filter (where due) as services,
    count(*) filter (where due and still_on) as still_on_golden_path,
    count(*) filter (where due and still_on) / nullif(count(*) filter (where due), 0) as share
from later
group by cohort_month, golden_path, days_after
order by cohort_month, golden_path, days_after
