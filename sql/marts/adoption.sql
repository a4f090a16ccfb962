-- materialized: macro
-- parameters: teams := NULL, languages := NULL, start := NULL, stop := NULL
-- marts.adoption_monthly for the selected teams and languages (their owner and language at
-- that time) and the months overlapping [start, stop): the one definition of new-service and
-- overall adoption per month (marts.adoption_grouped). For example
-- `select * from marts.adoption(teams := ['team-checkout'], start := date '2026-01-01')`.
select
    month, services_created, golden_path_created, new_service_adoption, services_total,
    golden_path_total, overall_adoption, below_threshold, threshold, partial, period_end
from marts.adoption_grouped(dimension := 'all', teams := teams, languages := languages, start := start, stop := stop)
order by month
