-- materialized: macro
-- parameters: teams := NULL, languages := NULL, start := NULL, stop := NULL
-- Services of the selection (marts.selected_history: owner and language at that time) created
-- per month in [start, stop) (NULL: unbounded), by the golden path they were on at the end of
-- their creation day (NULL: none), as new-service adoption counts them. Only months and golden
-- paths with a service created.
select
    date_trunc('month', created_at)::date as month,
    case when on_golden_path then golden_path end as golden_path,
    count(*) as services_created
from marts.selected_history(teams := teams, languages := languages)
where valid_from < date_trunc('day', created_at) + interval 1 day
  and (valid_to is null or valid_to >= date_trunc('day', created_at) + interval 1 day)
  and (start is null or created_at >= start::timestamp)
  and (stop is null or created_at < stop::timestamp)
group by all
order by month, golden_path nulls first
