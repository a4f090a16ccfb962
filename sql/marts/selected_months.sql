-- materialized: macro
-- parameters: teams := NULL, languages := NULL
-- The months a monthly metric macro reports: one row per month from the creation month of the
-- first service marts.selected_history selects through the refresh's month (no row when it
-- selects none). `month_end` is the instant whose state the month counts (the next month's
-- first instant; for the refresh's month, after as_of: today's state); the refresh's month is
-- `partial` and its `period_end` is as_of, every other month's is its end.
with months as (
    select
        unnest(generate_series(f.first_month, date_trunc('month', s.as_of)::date, interval 1 month))::date as month
    from (
        select min(date_trunc('month', created_at))::date as first_month
        from marts.selected_history(teams := teams, languages := languages)
    ) as f
    cross join config.settings as s
    where f.first_month is not null
)

select
    m.month,
    m.month + interval 1 month as month_end,
    m.month = date_trunc('month', s.as_of)::date as partial,
    least((m.month + interval 1 month)::timestamp, s.as_of) as period_end
from months as m
cross join config.settings as s
