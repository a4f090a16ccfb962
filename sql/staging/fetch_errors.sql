-- materialized: view
-- One row per fetch that failed during a refresh (the refresh went on without it).
select refresh_id, source, repo, endpoint, status, message, occurred_at
from raw.fetch_errors
