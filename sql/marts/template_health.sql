-- One row per configured golden path: is its template maintained, and how far behind it are
-- its services? When the template last changed (its default-branch head), how many of its
-- services are current, the median and p90 of commits behind over the services whose commit
-- resolved, how many could not be resolved (marts.template_drift.unresolved_reason), how
-- many of the resolved ones are more than `alerts.drift_commits` commits behind; `stale` when
-- it has not changed in more than `alerts.template_stale_days` days while services use it.
with per_path as (
    select
        g.name as golden_path,
        any_value(g.source) as source,
        any_value(h.head_sha) as head_sha,
        any_value(h.head_at) as head_at,
        (epoch(any_value(s.as_of)) - epoch(any_value(h.head_at))) / 86400.0 as days_since_change,
        count(d.repo) as services,
        count(*) filter (where d.commits_behind = 0) as services_current,
        median(d.commits_behind) as median_commits_behind,
        quantile_cont(d.commits_behind, 0.9) as p90_commits_behind,
        count(*) filter (where d.repo is not null and d.unresolved_reason is not null) as services_unresolved,
        count(d.commits_behind) as services_resolved,
        count(*) filter (where d.commits_behind > s.drift_commits) as services_far_behind,
        any_value(s.drift_commits) as far_behind_commits,
        any_value(s.template_stale_days) as stale_after_days,
        any_value(g.template_repo) as template_repo,
        min(g.position) as position
    from config.golden_paths as g
    cross join config.settings as s
    left join intermediate.template_heads as h on h.repo = g.template_repo
    left join marts.template_drift as d on d.kind = 'template' and d.golden_path = g.name
    group by g.name
)

select
    golden_path, source, head_sha, head_at, days_since_change, services, services_current,
    median_commits_behind, p90_commits_behind, services_unresolved, services_resolved,
    services_far_behind,
    services_far_behind / nullif(services_resolved, 0) as share_far_behind,
    far_behind_commits,
    stale_after_days,
    days_since_change > stale_after_days and services > 0 as stale,
    template_repo
from per_path
order by position
