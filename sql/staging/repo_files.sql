-- materialized: view
-- One row per repository file pathlens read (raw.repo_files), without its text: which files
-- each repo has, for the marts that only ask whether a file exists.
select repo, path, sha, size, content is not null as readable, fetched_at
from raw.repo_files
