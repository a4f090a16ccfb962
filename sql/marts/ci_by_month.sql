-- materialized: macro
-- parameters: teams := NULL, languages := NULL, start := NULL, stop := NULL
-- CI runs (marts.ci_runs) created in [start, stop) (NULL: unbounded) of the selected services
-- (marts.selected_services, a service being its name and repo), per month, golden-path services
-- against the others (`on_golden_path`, today's state): how many runs (`n`), the failure rate
-- failed ÷ (failed + succeeded) and the median duration of completed runs (SPEC §3 "Workflow
-- run"). The refresh's month is `partial`.
with runs as (
    select * from marts.selected_ci_runs(teams := teams, languages := languages, start := start, stop := stop)
),

months as (
    select
        date_trunc('month', created_at)::date as month,
        on_golden_path,
        count(*) as n,
        count(*) filter (where failed) / nullif(count(*) filter (where failed or succeeded), 0) as failure_rate,
        median(duration_s) as median_duration_s
    from runs
    group by all
)

select m.*, m.month = date_trunc('month', s.as_of)::date as partial
from months as m
cross join config.settings as s
order by m.month, m.on_golden_path
