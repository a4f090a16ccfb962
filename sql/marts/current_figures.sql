-- One row per exported figure × group: the current value of each headline figure, as
-- `pathlens metrics` exposes it to Prometheus (`figure` is the metric name without its
-- `pathlens_` prefix). `dimension` names the figure's one label (team, language, golden_path,
-- reason, path) and `group_value` its value; both are NULL for the whole organisation. Each
-- figure is selected from the public mart that defines it. New-service figures are those of the
-- last complete month (marts.refresh_info); service counts, overall adoption, escape hatches and
-- exception requests are at the refresh's as_of. A ratio with nothing to divide by has no row.
-- When the refresh ran is marts.refresh_info's (`refreshed_at`): this table stays the same when
-- the same data is refreshed again.
with info as (
    select
        as_of,
        last_complete_month,
        date_trunc('month', as_of)::date as current_month,
        fetch_errors,
        files_not_used
    from marts.refresh_info
),

-- The organisation and its team and language groups, one row per group and month. A NULL
-- owner (uncatalogued services) and a NULL language are groups of their own, named here.
adoption as (
    select
        null::varchar as dimension, null::varchar as group_value, month, services_created,
        golden_path_created, new_service_adoption, services_total, golden_path_total, overall_adoption
    from marts.adoption_monthly
    union all
    select
        'team', coalesce(owner, '(no owner)'), month, services_created,
        golden_path_created, new_service_adoption, services_total, golden_path_total, overall_adoption
    from marts.adoption_monthly_by_team
    union all
    select
        'language', coalesce(language, '(unknown)'), month, services_created,
        golden_path_created, new_service_adoption, services_total, golden_path_total, overall_adoption
    from marts.adoption_monthly_by_language
),

last_month as (
    select a.* from adoption as a join info as i on a.month = i.last_complete_month
),

this_month as (
    select a.* from adoption as a join info as i on a.month = i.current_month
),

org_last_month as (
    select * from last_month where dimension is null
),

org_now as (
    select * from this_month where dimension is null
),

-- Per golden path: its services now, and those created in the last complete month (0 when
-- none), each as a share of all services (created then) in the organisation.
golden_paths as (
    select golden_path, count(*) as services
    from marts.services
    where on_golden_path
    group by golden_path
),

golden_path_figures as (
    select
        g.golden_path,
        g.services,
        g.services / nullif(o.services_total, 0) as share,
        coalesce(t.services_created, 0) as created_last_month,
        coalesce(t.services_created, 0) / nullif(m.services_created, 0) as share_last_month
    from golden_paths as g
    cross join org_now as o
    cross join org_last_month as m
    left join marts.adoption_by_template as t
        on t.golden_path = g.golden_path and t.month = m.month
),

reasons as (
    select 'gpu' as reason, gpu as services, gpu / nullif(spec_services, 0) as rate from marts.escape_hatch_summary
    union all
    select 'sidecar', sidecar, sidecar / nullif(spec_services, 0) from marts.escape_hatch_summary
    union all
    select 'declared', declared, declared / nullif(spec_services, 0) from marts.escape_hatch_summary
    union all
    select 'other', other, other / nullif(spec_services, 0) from marts.escape_hatch_summary
),

requests as (
    select
        count(*) as opened,
        count(closed_at) as closed,
        count(*) filter (where closed_at is null) as still_open
    from marts.exception_requests
),

requests_last_month as (
    select r.opened, r.closed
    from marts.exception_requests_monthly as r
    join info as i on r.month = i.last_complete_month
),

-- Golden path against DIY: one row per side of each metric.
sides as (
    select metric, 'golden_path' as side, golden_path as value, golden_path_n as n from marts.golden_path_vs_diy
    union all
    select metric, 'diy' as side, diy as value, diy_n as n from marts.golden_path_vs_diy
),

figures as (
    select 'new_service_adoption_ratio' as figure, dimension, group_value, new_service_adoption as value
    from last_month
    union all
    select 'new_services', dimension, group_value, services_created from last_month
    union all
    select 'new_golden_path_services', dimension, group_value, golden_path_created from last_month
    union all
    select 'adoption_ratio', dimension, group_value, overall_adoption from this_month
    union all
    select 'services', dimension, group_value, services_total from this_month
    union all
    select 'golden_path_services', dimension, group_value, golden_path_total from this_month
    union all
    select 'adoption_ratio', 'golden_path', golden_path, share from golden_path_figures
    union all
    select 'services', 'golden_path', golden_path, services from golden_path_figures
    union all
    select 'new_service_adoption_ratio', 'golden_path', golden_path, share_last_month from golden_path_figures
    union all
    select 'new_services', 'golden_path', golden_path, created_last_month from golden_path_figures
    union all
    select 'service_spec_services', null, null, spec_services from marts.escape_hatch_summary
    union all
    select 'escape_hatch_services', null, null, escape_hatch_services from marts.escape_hatch_summary
    union all
    select 'escape_hatch_ratio', null, null, escape_hatch_rate from marts.escape_hatch_summary
    union all
    select 'escape_hatch_services', 'reason', reason, services from reasons
    union all
    select 'escape_hatch_ratio', 'reason', reason, rate from reasons
    union all
    select 'exception_requests_opened_total', null, null, opened from requests
    union all
    select 'exception_requests_closed_total', null, null, closed from requests
    union all
    select 'exception_requests_open', null, null, still_open from requests
    union all
    select 'exception_requests_opened_last_month', null, null, opened from requests_last_month
    union all
    select 'exception_requests_closed_last_month', null, null, closed from requests_last_month
    union all
    select 'ci_failure_ratio', 'path', side, value from sides where metric = 'ci_failure_rate'
    union all
    select 'ci_decided_runs', 'path', case when on_golden_path then 'golden_path' else 'diy' end,
           sum(ci_decided)
    from marts.comparison_services group by on_golden_path
    union all
    select 'ci_duration_median_seconds', 'path', side, value from sides where metric = 'median_ci_duration_s'
    union all
    select 'time_to_first_deploy_median_seconds', 'path', side, value * 86400
    from sides where metric = 'median_days_to_first_deploy'
    union all
    select 'data_as_of_timestamp_seconds', null, null, epoch(as_of) from info
    union all
    select 'refresh_fetch_errors', null, null, fetch_errors from info
    union all
    select 'refresh_unparsed_files', null, null, files_not_used from info
)

select figure, dimension, group_value, value::double as value
from figures
where value is not null
order by figure, dimension nulls first, group_value
