-- materialized: macro
-- parameters: instant := NULL
-- The instant a figure "at `instant`" is for (NULL: the refresh's as_of), one row:
-- `measured_at`, the instant itself but at most as_of (a figure cannot be newer than the
-- refresh), and `state_at`, the instant whose state marts.service_history gives: the instant
-- itself before as_of, 'infinity' (today's state, the current intervals) from as_of on.
select
    least(coalesce(instant::timestamp, s.as_of), s.as_of) as measured_at,
    case when instant is null or instant::timestamp >= s.as_of then 'infinity'::timestamp else instant::timestamp end as state_at
from config.settings as s
