-- One row per template or platform workflow repo whose history was read: its default branch
-- (`branch`), head commit (`head_sha`) and the head's committer date (`head_at`).
select r.repo, r.name as branch, r.sha as head_sha, c.committed_at as head_at
from staging.template_refs as r
left join staging.template_commits as c on c.repo = r.repo and c.sha = r.sha
where r.kind = 'head'
