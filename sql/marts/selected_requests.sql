-- materialized: macro
-- parameters: teams := NULL
-- The exception requests (marts.exception_requests rows) whose team (the owner its label names,
-- short form) is one of `teams`: a list, NULL meaning all, a NULL element selecting the requests
-- without a team label.
select r.*
from marts.exception_requests as r
where teams is null or coalesce(list_position(teams::varchar[], r.team), 0) > 0
