-- One row per configured golden path: is its template maintained, and how far behind it are
-- its services? When the template last changed (its default-branch head), how many of its
-- services are current, the median and p90 of commits behind over the services whose commit
-- resolved, and how many could not be resolved (marts.template_drift.unresolved_reason).
select
    g.name as golden_path,
    g.source,
    h.head_sha,
    h.head_at,
    (epoch(s.as_of) - epoch(h.head_at)) / 86400.0 as days_since_change,
    count(d.repo) as services,
    count(*) filter (where d.commits_behind = 0) as services_current,
    median(d.commits_behind) as median_commits_behind,
    quantile_cont(d.commits_behind, 0.9) as p90_commits_behind,
    count(*) filter (where d.repo is not null and d.unresolved_reason is not null) as services_unresolved,
    g.template_repo
from config.golden_paths as g
cross join config.settings as s
left join intermediate.template_heads as h on h.repo = g.template_repo
left join marts.template_drift as d on d.kind = 'template' and d.golden_path = g.name
group by all
order by min(g.position)
