-- materialized: macro
-- parameters: teams := NULL, languages := NULL, start := NULL, stop := NULL
-- Deploys (marts.deploys) in [start, stop) (NULL: unbounded) of the selected services
-- (marts.selected_services, a service being its name and repo): all of them and the production
-- ones. One row.
select
    count(*) as deploys,
    count(*) filter (where d.production) as production_deploys
from marts.deploys as d
where (start is null or d.deployed_at >= start::timestamp) and (stop is null or d.deployed_at < stop::timestamp)
  and ((teams is null and languages is null) or exists (
        select 1 from marts.selected_services(teams := teams, languages := languages) as v
        where v.service = d.service and v.repo = d.repo))
