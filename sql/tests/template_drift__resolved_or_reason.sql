-- Every drift row either resolved (a commit, commits and days behind) or says why not.
select kind, service, repo, golden_path, template_commit
from marts.template_drift
where (resolved_sha is null) = (unresolved_reason is null)
   or (resolved_sha is null) <> (commits_behind is null)
   or (resolved_sha is null) <> (days_behind is null)
   or commits_behind < 0
