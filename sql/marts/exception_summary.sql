-- materialized: macro
-- parameters: teams := NULL, start := NULL, stop := NULL
-- Exception requests of the selected teams (marts.selected_requests) over one period
-- [start, stop) (NULL start: from the first request; NULL stop: up to the refresh's as_of):
-- opened in it, closed in it, still open at its end (`period_end`: stop, or as_of when that is
-- earlier), the median days to close of those closed in it, and `open_now`: open at the
-- refresh. One row.
with p as (
    select start::timestamp as period_start, least(coalesce(stop::timestamp, s.as_of), s.as_of) as period_end,
           coalesce(stop::timestamp, 'infinity'::timestamp) as period_stop
    from config.settings as s
)

select
    p.period_start,
    p.period_end,
    count(r.opened_at) filter (where (p.period_start is null or r.opened_at >= p.period_start) and r.opened_at < p.period_stop)
        as opened,
    count(r.opened_at) filter (where (p.period_start is null or r.closed_at >= p.period_start) and r.closed_at < p.period_stop)
        as closed,
    count(r.opened_at) filter (where r.opened_at < p.period_stop and (r.closed_at is null or r.closed_at >= p.period_stop))
        as open_at_end,
    median(r.days_to_close) filter (
        where (p.period_start is null or r.closed_at >= p.period_start) and r.closed_at < p.period_stop
    ) as median_days_to_close,
    count(r.opened_at) filter (where r.closed_at is null) as open_now
from p
left join marts.selected_requests(teams := teams) as r on true
group by p.period_start, p.period_end
