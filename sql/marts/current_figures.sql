-- One row per exported figure × group: the current value of each headline figure, as
-- `pathlens metrics` exposes it to Prometheus (`figure` is the metric name without its
-- `pathlens_` prefix). `dimension` names the figure's one label (team, language, golden_path,
-- reason, path) and `group_value` its value; both are NULL for the whole organisation. Each
-- figure is selected from the public mart that defines it. New-service figures are those of the
-- last complete month (marts.refresh_info); service counts, overall adoption, escape hatches and
-- exception requests are at the refresh's as_of, template drift (per golden path whose template
-- is a GitHub repository) as of the refresh. A ratio with nothing to divide by has no row.
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
    select reason, services, services / nullif(spec_services, 0) as rate
    from (unpivot marts.escape_hatch_summary on gpu, sidecar, declared, other into name reason value services)
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

-- Golden path against DIY: each side's value of each metric, one row per side.
sides as (
    select side, metric, value
    from (unpivot marts.golden_path_vs_diy on golden_path, diy into name side value value)
),

-- One row per group (dimension, group_value), one column per figure named as exported; the
-- figures of a group that has none of a column are NULL, and so left out below.
by_group as (
    select
        dimension, group_value,
        new_service_adoption as new_service_adoption_ratio,
        services_created as new_services,
        golden_path_created as new_golden_path_services
    from last_month
    union all by name
    select
        dimension, group_value,
        overall_adoption as adoption_ratio,
        services_total as services,
        golden_path_total as golden_path_services
    from this_month
    union all by name
    select
        'golden_path' as dimension, golden_path as group_value,
        share as adoption_ratio,
        services,
        share_last_month as new_service_adoption_ratio,
        created_last_month as new_services
    from golden_path_figures
    union all by name
    select
        spec_services as service_spec_services,
        escape_hatch_services,
        escape_hatch_rate as escape_hatch_ratio
    from marts.escape_hatch_summary
    union all by name
    select
        'reason' as dimension, reason as group_value,
        services as escape_hatch_services,
        rate as escape_hatch_ratio
    from reasons
    union all by name
    select
        opened as exception_requests_opened_total,
        closed as exception_requests_closed_total,
        still_open as exception_requests_open,
        (select opened from requests_last_month) as exception_requests_opened_last_month,
        (select closed from requests_last_month) as exception_requests_closed_last_month
    from requests
    union all by name
    select
        'path' as dimension, side as group_value,
        any_value(value) filter (where metric = 'ci_failure_rate') as ci_failure_ratio,
        any_value(value) filter (where metric = 'median_ci_duration_s') as ci_duration_median_seconds,
        any_value(value) filter (where metric = 'median_days_to_first_deploy') * 86400
            as time_to_first_deploy_median_seconds
    from sides
    group by side
    union all by name
    select
        'path' as dimension, case when on_golden_path then 'golden_path' else 'diy' end as group_value,
        sum(ci_decided) as ci_decided_runs
    from marts.comparison_services
    group by on_golden_path
    union all by name
    -- template drift per golden path whose template is a GitHub repository (marts.template_health)
    select
        'golden_path' as dimension, golden_path as group_value,
        epoch(head_at) as template_last_change_timestamp_seconds,
        services as template_services,
        services_current as template_services_current,
        services_unresolved as template_services_unresolved,
        median_commits_behind as template_commits_behind_median,
        p90_commits_behind as template_commits_behind_p90
    from marts.template_health
    where template_repo is not null
    union all by name
    select
        epoch(as_of) as data_as_of_timestamp_seconds,
        fetch_errors as refresh_fetch_errors,
        files_not_used as refresh_unparsed_files
    from info
)

select figure, dimension, group_value, value::double as value
from (unpivot by_group on columns(* exclude (dimension, group_value)) into name figure value value)
order by figure, dimension nulls first, group_value
