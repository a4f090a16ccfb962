-- materialized: macro
-- parameters: teams := NULL, languages := NULL, start := NULL, stop := NULL, previous_start := NULL
-- marts.ci_summary over [start, stop) beside the period before it, [previous_start, start):
-- per group (golden path, DIY, all) the runs, failure rate and median duration of each, and each
-- figure's change (this period's minus the previous one's; for the failure rate a difference of
-- ratios, NULL when either is NULL). One row per group, all three always.
select
    c."group",
    c.runs,
    c.failure_rate,
    c.median_duration_s,
    b.runs as previous_runs,
    b.failure_rate as previous_failure_rate,
    b.median_duration_s as previous_median_duration_s,
    c.runs - b.runs as runs_change,
    c.failure_rate - b.failure_rate as failure_rate_change,
    c.median_duration_s - b.median_duration_s as median_duration_s_change
from marts.ci_summary(teams := teams, languages := languages, start := start, stop := stop) as c
join marts.ci_summary(teams := teams, languages := languages, start := previous_start, stop := start) as b
    on b."group" = c."group"
order by case c."group" when 'golden path' then 0 when 'DIY' then 1 else 2 end
