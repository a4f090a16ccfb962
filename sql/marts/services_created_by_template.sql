-- materialized: macro
-- parameters: teams := NULL, languages := NULL, start := NULL, stop := NULL
-- Services of the selection created per month in [start, stop) (NULL: unbounded), by the golden
-- path they were on at the end of their creation day (NULL: none), as new-service adoption
-- counts them (marts.services_created). Only months and golden paths with a service created.
select
    date_trunc('month', created_at)::date as month,
    case when on_golden_path then golden_path end as golden_path,
    count(*) as services_created
from marts.services_created(teams := teams, languages := languages, start := start, stop := stop)
group by all
order by month, golden_path nulls first
