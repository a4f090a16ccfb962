-- Every golden_path names a configured template, and on_golden_path agrees with it.
select service, repo, golden_path, on_golden_path
from marts.services
where (golden_path is not null and golden_path not in (select name from config.golden_paths))
   or on_golden_path <> (golden_path is not null)
