-- One row per catalogued service (Backstage Component): the facts a Tech Insights fact
-- retriever reads for it (`pathlens export backstage-facts`, the exports server's /facts).
-- `entity_ref` is the component's reference as Backstage writes it: `component:NAMESPACE/NAME`,
-- kind and namespace in lower case (namespace `default` when the catalog gives none), the name
-- as written. Uncatalogued services have no entity and no row. When two repos declare the same
-- entity, the first repo in alphabetical order keeps it. `ci_failure_rate_30d` = failed ÷
-- (failed + succeeded) over the service's workflow runs created in the 30 days before the
-- refresh's as_of (NULL without such a run); `ci_runs_30d` is that denominator.
-- `template_commits_behind` is marts.template_drift's `commits_behind` for the service and its
-- golden path's template (NULL off a golden path, or when its template commit is unresolved).
with info as (
    select as_of from marts.refresh_info
),

ci as (
    select
        r.repo,
        r.service,
        count(*) filter (where r.failed) / nullif(count(*) filter (where r.failed or r.succeeded), 0) as failure_rate,
        count(*) filter (where r.failed or r.succeeded) as decided_runs
    from marts.ci_runs as r
    cross join info as i
    where r.created_at >= i.as_of - interval 30 days and r.created_at < i.as_of
    group by r.repo, r.service
),

entities as (
    select
        s.*,
        lower(coalesce(nullif(c.namespace, ''), 'default')) as namespace
    from marts.services as s
    join intermediate.components as c on c.repo = s.repo and c.service = s.service
)

select
    'component:' || e.namespace || '/' || e.service as entity_ref,
    'component' as kind,
    e.namespace,
    e.service as name,
    e.repo,
    e.owner,
    i.as_of,
    e.on_golden_path,
    e.golden_path,
    d.commits_behind as template_commits_behind,
    e.escape_hatch,
    e.escape_hatch_reasons,
    e.uses_platform_ci,
    ci.failure_rate as ci_failure_rate_30d,
    coalesce(ci.decided_runs, 0) as ci_runs_30d,
    f.days as days_to_first_deploy
from entities as e
cross join info as i
left join ci on ci.repo = e.repo and ci.service = e.service
left join marts.time_to_first_deploy as f on f.repo = e.repo and f.service = e.service
left join marts.template_drift as d
    on d.kind = 'template' and d.repo = e.repo and d.service = e.service and d.golden_path = e.golden_path
qualify row_number() over (partition by lower(e.namespace), lower(e.service) order by e.repo) = 1
order by entity_ref
