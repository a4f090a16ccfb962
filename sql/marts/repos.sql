-- One row per in-scope repository, service or not.
select
    r.repo,
    r.created_at,
    r.pushed_at,
    r.language,
    r.repo in (select repo from intermediate.services) as is_service,
    exists (
        select 1 from staging.repo_files as f
        where f.repo = r.repo and f.path = s.catalog_file
    ) as has_catalog,
    r.repo in (select repo from intermediate.repo_specs where is_current) as has_service_spec,
    coalesce(ci.uses_platform_ci, false) as uses_platform_ci,
    r.html_url
from staging.repos as r
cross join config.settings as s
left join intermediate.repo_ci as ci on ci.repo = r.repo and ci.is_current
order by r.repo
