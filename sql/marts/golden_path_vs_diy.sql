-- Golden-path services against the rest ("DIY"), one row per metric, with the sample behind
-- each side (runs, completed runs, service-weeks or deployed services) and ratio = golden / diy.
-- CI failure rate pools every run: failed / (failed + succeeded). Deploys per service-week:
-- production deploys / the weeks each service has existed up to the refresh's as_of.
with ci as (
    select
        on_golden_path,
        count(*) filter (where failed) / nullif(count(*) filter (where failed or succeeded), 0) as failure_rate,
        count(*) filter (where failed or succeeded) as decided_runs,
        median(duration_s) as median_duration_s,
        count(duration_s) as completed_runs
    from marts.ci_runs
    group by on_golden_path
),

deploys as (
    select
        sv.on_golden_path,
        count(d.service) / nullif(any_value(w.service_weeks), 0) as per_service_week,
        any_value(w.service_weeks) as service_weeks
    from intermediate.services as sv
    left join marts.deploys as d on d.service = sv.service and d.repo = sv.repo and d.production
    join (
        select sv2.on_golden_path, sum(greatest(epoch(s.as_of - sv2.created_at), 0)) / 604800.0 as service_weeks
        from intermediate.services as sv2 cross join config.settings as s
        group by sv2.on_golden_path
    ) as w on w.on_golden_path = sv.on_golden_path
    group by sv.on_golden_path
),

first_deploy as (
    select on_golden_path, median(days) as median_days, count(days) as deployed_services
    from marts.time_to_first_deploy
    group by on_golden_path
),

metrics as (
    select 'ci_failure_rate' as metric, on_golden_path, failure_rate as value, decided_runs::double as n from ci
    union all
    select 'median_ci_duration_s', on_golden_path, median_duration_s, completed_runs from ci
    union all
    select 'deploys_per_service_week', on_golden_path, per_service_week, service_weeks from deploys
    union all
    select 'median_days_to_first_deploy', on_golden_path, median_days, deployed_services from first_deploy
),

names as (
    select * from (values
        (1, 'ci_failure_rate'), (2, 'median_ci_duration_s'),
        (3, 'deploys_per_service_week'), (4, 'median_days_to_first_deploy')
    ) as t(position, metric)
)

select
    n.metric,
    g.value as golden_path,
    d.value as diy,
    g.value / nullif(d.value, 0) as ratio,
    coalesce(g.n, 0) as golden_path_n,
    coalesce(d.n, 0) as diy_n
from names as n
left join metrics as g on g.metric = n.metric and g.on_golden_path
left join metrics as d on d.metric = n.metric and not d.on_golden_path
order by n.position
