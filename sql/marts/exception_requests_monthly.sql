-- One row per month from the first request's month through the refresh's month: requests
-- opened and closed in it, still open at its last instant, and the median days to close of
-- those closed in it.
with months as (
    select unnest(generate_series(
        (select min(date_trunc('month', opened_at))::date from marts.exception_requests),
        date_trunc('month', s.as_of)::date,
        interval 1 month
    ))::date as month
    from config.settings as s
),

bounds as (
    select month, (month + interval 1 month)::timestamp as next_month from months
)

select
    b.month,
    (select count(*) from marts.exception_requests as r
        where r.opened_at >= b.month and r.opened_at < b.next_month) as opened,
    (select count(*) from marts.exception_requests as r
        where r.closed_at >= b.month and r.closed_at < b.next_month) as closed,
    (select count(*) from marts.exception_requests as r
        where r.opened_at < b.next_month and (r.closed_at is null or r.closed_at >= b.next_month)) as open_at_month_end,
    (select median(r.days_to_close) from marts.exception_requests as r
        where r.closed_at >= b.month and r.closed_at < b.next_month) as median_days_to_close
from bounds as b
order by b.month
