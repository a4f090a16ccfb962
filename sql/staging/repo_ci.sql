-- Per in-scope repo: whether any of its workflow files calls a reusable workflow of one of
-- ci.platform_workflow_repos (compared case-insensitively).
select
    r.repo,
    coalesce(bool_or(list_contains(s.platform_workflow_repos, lower(w.called_repo))), false) as uses_platform_ci
from staging.repos as r
cross join staging.settings as s
left join staging.workflow_calls as w on w.repo = r.repo
group by r.repo
