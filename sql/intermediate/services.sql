-- One row per service (SPEC §3 "Service") as it is today: the current instant of
-- intermediate.service_states, where the rules that make a service, its golden path and its escape
-- hatch are written once for every instant.
select * exclude (instant, is_current)
from intermediate.service_states
where is_current
