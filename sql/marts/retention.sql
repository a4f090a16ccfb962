-- materialized: macro
-- parameters: teams := NULL, languages := NULL, start := NULL, stop := NULL
-- Golden-path retention (SPEC §3) per creation month overlapping [start, stop) (NULL:
-- unbounded), golden path and `days_after` in 30, 90, 180, 365: of the services created on a
-- golden path (in their state at the end of their creation day) whose owner and language then
-- are selected (marts.services_created), how many could be checked `days_after` days later
-- (`created_at + days_after` on or before the refresh's as_of: `services`), how many of those
-- were still on a golden path then (any configured one), and the share (NULL when none could be
-- checked yet).
with starters as (
    select c.service, c.repo, c.created_at, date_trunc('month', c.created_at)::date as cohort_month, c.golden_path
    from marts.services_created(teams := teams, languages := languages) as c
    where c.on_golden_path
      and (start is null or date_trunc('month', c.created_at)::date >= date_trunc('month', start::timestamp)::date)
      and (stop is null or date_trunc('month', c.created_at)::date < stop::timestamp)
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
    left join marts.service_history as h
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
