-- What each subject of template drift is pinned to (SPEC §3 "Template drift"): one row per
-- golden-path service (kind 'template': its template commit against its golden path's template
-- repo) and per distinct reusable-workflow call of an in-scope repo into one of
-- ci.platform_workflow_repos (kind 'ci': the `@REF` of `uses: OWNER/REPO/PATH@REF`).
-- `source_problem` says why a golden path has no readable history.
with templates as (
    select
        'template' as kind,
        s.service,
        s.repo,
        s.golden_path,
        g.template_repo,
        nullif(trim(s.template_commit), '') as pin,
        case
            when g.source is null then 'no_source'
            when g.template_repo is null then 'not_github'
        end as source_problem
    from intermediate.services as s
    join config.golden_paths as g on g.name = s.golden_path
),

calls as (
    select distinct
        'ci' as kind,
        null::varchar as service,
        w.repo,
        lower(w.called_repo) || '/' || w.called_file as golden_path,
        lower(w.called_repo) as template_repo,
        nullif(trim(w.ref), '') as pin,
        null::varchar as source_problem
    from staging.workflow_calls as w
    join staging.repos as r on r.repo = w.repo
    cross join config.settings as s
    where list_contains(s.platform_workflow_repos, lower(w.called_repo))
)

select * from templates
union all
select * from calls
