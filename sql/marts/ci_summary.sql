-- materialized: macro
-- parameters: teams := NULL, languages := NULL, start := NULL, stop := NULL
-- CI runs (marts.ci_runs) created in [start, stop) (NULL: unbounded) of the selected services
-- (marts.selected_services), for golden-path services, the others ("DIY") and all of them:
-- runs, the failure rate failed ÷ (failed + succeeded), the median duration of completed runs.
-- One row per group, all three always (0 runs, NULL rates when there were none).
with selected as (
    select * from marts.selected_ci_runs(teams := teams, languages := languages, start := start, stop := stop)
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
