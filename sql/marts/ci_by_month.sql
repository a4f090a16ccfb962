-- materialized: macro
-- parameters: teams := NULL, languages := NULL, start := NULL, stop := NULL
-- CI runs (marts.ci_runs) created in [start, stop) (NULL: unbounded) of the selected services
-- (marts.selected_services, a service being its name and repo), per month, golden-path services
-- against the others (`on_golden_path`, today's state): how many runs (`n`), the failure rate
-- failed ÷ (failed + succeeded) and the median duration of completed runs (SPEC §3 "Workflow
-- run"). The refresh's month is `partial`.
with runs as (
    select r.created_at, r.on_golden_path, r.failed, r.succeeded, r.duration_s
    from marts.ci_runs as r
    where teams is null and languages is null
      and (start is null or r.created_at >= start::timestamp) and (stop is null or r.created_at < stop::timestamp)
    union all
    -- with a filter: the runs of the selected services (two branches, so that without one no
    -- join is planned over every run)
    select r.created_at, r.on_golden_path, r.failed, r.succeeded, r.duration_s
    from marts.ci_runs as r
    semi join marts.selected_services(teams := teams, languages := languages) as v
        on v.service = r.service and v.repo = r.repo
    where not (teams is null and languages is null)
      and (start is null or r.created_at >= start::timestamp) and (stop is null or r.created_at < stop::timestamp)
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
