-- Per in-scope repo and instant: its template answer files then (copier preferred over cruft
-- for the reported source/commit) and the golden path they match, if any; `is_current` marks
-- today's.
with answers as (
    select
        f.repo,
        f.instant,
        f.is_current,
        t.tool,
        t.source,
        t.source_norm,
        t.commit,
        g.name as golden_path,
        g.position
    from intermediate.files_at as f
    join staging.template_answers_by_version as t on t.repo = f.repo and t.path = f.path and t.blob = f.blob
    left join config.golden_paths as g on g.source_norm = t.source_norm
    where t.source is not null
)
select
    repo,
    instant,
    is_current,
    -- the answer file that matched a golden path wins; then copier over cruft
    arg_min(source, (golden_path is null, tool <> 'copier', position)) as template_source,
    arg_min(commit, (golden_path is null, tool <> 'copier', position)) as template_commit,
    arg_min(golden_path, (golden_path is null, tool <> 'copier', position)) as golden_path
from answers
group by repo, instant, is_current
