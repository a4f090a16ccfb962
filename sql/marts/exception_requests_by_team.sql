-- materialized: macro
-- parameters: teams := NULL, start := NULL, stop := NULL
-- Exception requests of the selected teams (marts.selected_requests) opened in [start, stop)
-- (NULL: unbounded), per team (NULL: no team label): how many were opened, how many of those
-- are still open at the refresh and how many are closed, and their median days to close.
select
    team,
    count(*) as opened,
    count(*) filter (where closed_at is null) as open,
    count(*) filter (where closed_at is not null) as closed,
    median(days_to_close) as median_days_to_close
from marts.selected_requests(teams := teams)
where (start is null or opened_at >= start::timestamp) and (stop is null or opened_at < stop::timestamp)
group by team
order by opened desc, team nulls last
