-- One row: when the data was refreshed, its "now" (as_of), the source, and the last
-- complete month (the month before as_of's month) that the overview reports on.
select
    s.refresh_id,
    s.source,
    s.as_of,
    r.started_at as refreshed_at,
    (date_trunc('month', s.as_of) - interval 1 month)::date as last_complete_month
from staging.settings as s
left join raw.refreshes as r on r.refresh_id = s.refresh_id
