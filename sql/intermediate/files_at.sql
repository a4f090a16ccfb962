-- One row per in-scope repo, instant (intermediate.repo_instants) and file present then: which
-- version (`blob`) of the file was in effect at that instant. A file absent then has no row.
select i.repo, i.instant, i.is_current, v.path, v.blob
from intermediate.repo_instants as i
join staging.file_versions as v
    on v.repo = i.repo
   and v.valid_from <= i.instant
   and (v.valid_to is null or v.valid_to > i.instant)
where v.blob is not null
