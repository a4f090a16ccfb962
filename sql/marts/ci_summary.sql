-- materialized: macro
-- parameters: teams := NULL, languages := NULL, start := NULL, stop := NULL
-- CI runs (marts.ci_runs) created in [start, stop) (NULL: unbounded) of the selected services
-- (marts.selected_services), for golden-path services, the others ("DIY") and all of them:
-- runs, the failure rate failed ÷ (failed + succeeded), the median duration of completed runs.
-- One row per group, all three always (0 runs, NULL rates when there were none).
with selected as (
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

runs as (
    select case when on_golden_path then 'golden path' else 'DIY' end as grp, failed, succeeded, duration_s
    from selected
),

grouped as (
    select grp, failed, succeeded, duration_s from runs
    union all
    select 'all', failed, succeeded, duration_s from runs
)

select
    g.grp as "group",
    count(r.grp) as runs,
    count(r.grp) filter (where r.failed) / nullif(count(r.grp) filter (where r.failed or r.succeeded), 0)
        as failure_rate,
    median(r.duration_s) as median_duration_s
from (values ('golden path', 0), ('DIY', 1), ('all', 2)) as g(grp, position)
left join grouped as r on r.grp = g.grp
group by g.grp, g.position
order by g.position
