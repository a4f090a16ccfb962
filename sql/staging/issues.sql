-- One row per issue or pull request of the exception-request repos (raw.issues), with
-- is_exception_request: an issue (not a pull request) of one of exceptions.repos carrying
-- exceptions.label (both compared case-insensitively), in any state.
select
    i.repo,
    i.number,
    i.title,
    i.state,
    i.created_at,
    i.closed_at,
    i.labels,
    i.html_url,
    coalesce(i.is_pull_request, false) as is_pull_request,
    not coalesce(i.is_pull_request, false)
        and list_contains(s.exceptions_repos, lower(i.repo))
        and list_contains(list_transform(i.labels, lambda l: lower(l)), s.exceptions_label)
        as is_exception_request
from raw.issues as i
cross join config.settings as s
