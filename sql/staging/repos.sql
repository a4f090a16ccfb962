-- In-scope repositories: not archived, not a fork, not matched by a github.exclude_repos glob
-- (a glob is tried against both the repo's name and its OWNER/NAME).
select
    r.repo,
    r.name,
    r.created_at,
    r.pushed_at,
    lower(r.language) as language,
    r.html_url
from raw.repos as r
cross join config.settings as s
where not coalesce(r.archived, false)
  and not coalesce(r.fork, false)
  and len(list_filter(s.exclude_repos, lambda p: r.name glob p or r.repo glob p)) = 0
