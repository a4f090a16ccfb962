-- materialized: macro
-- parameters: teams := NULL, languages := NULL, start := NULL, stop := NULL
-- The CI runs (marts.ci_runs) created in [start, stop) (NULL: unbounded) of the selected services
-- (marts.selected_services, a service being its name and repo): the runs every CI macro counts.
select r.created_at, r.on_golden_path, r.failed, r.succeeded, r.duration_s
from marts.ci_runs as r
where teams is null and languages is null
  and (start is null or r.created_at >= start::timestamp) and (stop is null or r.created_at < stop::timestamp)
union all
-- with a filter: the runs of the selected services (two branches, so that without one no join is
-- planned over every run)
select r.created_at, r.on_golden_path, r.failed, r.succeeded, r.duration_s
from marts.ci_runs as r
semi join marts.selected_services(teams := teams, languages := languages) as v
    on v.service = r.service and v.repo = r.repo
where not (teams is null and languages is null)
  and (start is null or r.created_at >= start::timestamp) and (stop is null or r.created_at < stop::timestamp)
