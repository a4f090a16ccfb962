-- materialized: macro
-- parameters: teams := NULL, start := NULL, stop := NULL
-- marts.exception_requests_monthly for the requests of the selected teams
-- (marts.selected_requests): per month from the first request's month through the refresh's
-- month (then only the months overlapping [start, stop)): requests opened and closed in it,
-- still open at its end (`period_end`: the month's last instant, or the refresh's as_of for the
-- refresh's month, which is `partial`), the median days to close of those closed in it, and
-- `opened_change`: opened minus the month before's opened (that month counted even when it
-- lies before `start`; NULL for the first month).
with requests as (
    select opened_at, closed_at, days_to_close from marts.selected_requests(teams := teams)
),

months as (
    select unnest(generate_series(
        (select min(date_trunc('month', opened_at))::date from marts.exception_requests),
        date_trunc('month', s.as_of)::date,
        interval 1 month
    ))::date as month
    from config.settings as s
),

bounds as (
    select
        m.month,
        (m.month + interval 1 month)::timestamp as next_month,
        m.month = date_trunc('month', s.as_of)::date as partial,
        least((m.month + interval 1 month)::timestamp, s.as_of) as period_end
    from months as m
    cross join config.settings as s
),

counted as (
    select
        b.month,
        count(r.opened_at) filter (where r.opened_at >= b.month and r.opened_at < b.next_month) as opened,
        count(r.opened_at) filter (where r.closed_at >= b.month and r.closed_at < b.next_month) as closed,
        count(r.opened_at) filter (where r.opened_at < b.next_month and (r.closed_at is null or r.closed_at >= b.next_month))
            as open_at_month_end,
        median(r.days_to_close) filter (where r.closed_at >= b.month and r.closed_at < b.next_month) as median_days_to_close,
        b.partial,
        b.period_end
    from bounds as b
    left join requests as r on r.opened_at < b.next_month
    group by b.month, b.next_month, b.partial, b.period_end
)

select
    c.month, c.opened, c.closed, c.open_at_month_end, c.median_days_to_close, c.partial, c.period_end,
    c.opened - b.opened as opened_change
from counted as c
-- the month before by its date (a window's lag lost it when DuckDB pushed the period's filter below it)
left join counted as b on b.month = (c.month - interval 1 month)::date
where (start is null or c.month >= date_trunc('month', start::timestamp)::date)
  and (stop is null or c.month < stop::timestamp)
order by c.month
