-- Per in-scope repo and instant (intermediate.repo_instants): whether any of its workflow files
-- then calls a reusable workflow of one of ci.platform_workflow_repos (compared
-- case-insensitively); `is_current` marks today's.
select
    i.repo,
    i.instant,
    i.is_current,
    coalesce(bool_or(list_contains(s.platform_workflow_repos, lower(w.called_repo))), false) as uses_platform_ci
from intermediate.repo_instants as i
cross join config.settings as s
left join intermediate.files_at as f on f.repo = i.repo and f.instant = i.instant
left join staging.workflow_calls_by_version as w on w.repo = f.repo and w.path = f.path and w.blob = f.blob
group by i.repo, i.instant, i.is_current
