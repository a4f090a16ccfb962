-- One row per commit of a template or platform workflow repo (raw.template_commits): `repo`
-- (owner/name, lower case), `sha`, committer date `committed_at`, `parents` (shas).
select repo, lower(sha) as sha, committed_at, list_transform(parents, lambda p: lower(p)) as parents
from raw.template_commits
