-- materialized: macro
-- parameters: teams := NULL, languages := NULL, start := NULL, stop := NULL
-- Deploys (marts.deploys) in [start, stop) (NULL: unbounded) of the selected services
-- (marts.selected_services, a service being its name and repo): all of them and the production
-- ones. One row.
with selected as (
    select d.production
    from marts.deploys as d
    where teams is null and languages is null
      and (start is null or d.deployed_at >= start::timestamp) and (stop is null or d.deployed_at < stop::timestamp)
    union all
    select d.production
    from marts.deploys as d
    semi join marts.selected_services(teams := teams, languages := languages) as v
        on v.service = d.service and v.repo = d.repo
    where not (teams is null and languages is null)
      and (start is null or d.deployed_at >= start::timestamp) and (stop is null or d.deployed_at < stop::timestamp)
)

select count(*) as deploys, count(*) filter (where production) as production_deploys
from selected
