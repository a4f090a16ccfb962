-- materialized: macro
-- parameters: teams := NULL, languages := NULL, start := NULL, stop := NULL
-- marts.adoption_monthly for the selected teams and languages (their owner and language at
-- that time) and the months overlapping [start, stop): the one definition of new-service and
-- overall adoption per month (marts.adoption_grouped), and `new_service_adoption_change`, the
-- month's new-service adoption minus the month before's (that month counted even when it lies
-- before `start`; NULL when either is NULL). For example
-- `select * from marts.adoption(teams := ['team-checkout'], start := date '2026-01-01')`.
with monthly as (
    select
        month, services_created, golden_path_created, new_service_adoption, services_total,
        golden_path_total, overall_adoption, below_threshold, threshold, partial, period_end
    from marts.adoption_grouped(dimension := 'all', teams := teams, languages := languages)
)

select
    m.month, m.services_created, m.golden_path_created, m.new_service_adoption, m.services_total,
    m.golden_path_total, m.overall_adoption, m.below_threshold, m.threshold, m.partial, m.period_end,
    m.new_service_adoption - b.new_service_adoption as new_service_adoption_change
from monthly as m
-- the month before by its date: a window's lag can lose it when DuckDB pushes the period's
-- filter below the window (seen in marts.exception_requests_by_month)
left join monthly as b on b.month = (m.month - interval 1 month)::date
where (start is null or m.month >= date_trunc('month', start::timestamp)::date)
  and (stop is null or m.month < stop::timestamp)
order by m.month
