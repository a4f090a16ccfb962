-- One row: when the data was refreshed, its "now" (as_of), the source, the last complete
-- month (the month before as_of's month) that the overview reports on, and how much of the
-- sources this refresh could not use: repository files not parsed (staging.file_errors of
-- severity error) and fetch errors recorded during this refresh (staging.fetch_errors), and
-- services kept alive by the last good version of a file that no longer parses.
select
    s.refresh_id,
    s.source,
    s.as_of,
    r.started_at as refreshed_at,
    (date_trunc('month', s.as_of) - interval 1 month)::date as last_complete_month,
    (select count(*) from staging.file_errors as f where f.severity = 'error') as files_not_used,
    (select count(*) from staging.fetch_errors as e where e.refresh_id = s.refresh_id) as fetch_errors,
    (select count(*) from intermediate.services as v where v.stale_since is not null) as stale_services
from config.settings as s
left join staging.refreshes as r on r.refresh_id = s.refresh_id
