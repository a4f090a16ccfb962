-- One row per creation month, golden path and `days_after` in 30, 90, 180, 365 (SPEC §3
-- "Golden-path retention"): of the services created on a golden path (in their state at the
-- end of their creation day, marts.service_history), how many could be checked `days_after`
-- days later (`created_at + days_after` on or before the refresh's as_of: `services`), how
-- many of those were still on a golden path then (any configured one), and the share (NULL
-- when none could be checked yet); the unfiltered result of marts.retention().
select cohort_month, golden_path, days_after, services, still_on_golden_path, share
from marts.retention()
order by cohort_month, golden_path, days_after
