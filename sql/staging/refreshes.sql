-- materialized: view
-- One row per refresh: its id, source, "now" (as_of) and when it started.
select refresh_id, source, as_of, started_at
from raw.refreshes
