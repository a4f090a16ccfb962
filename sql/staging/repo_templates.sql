-- Per in-scope repo: its template answer files (copier preferred over cruft for the
-- reported source/commit) and the golden path they match, if any.
with answers as (
    select
        t.repo,
        t.tool,
        t.source,
        t.source_norm,
        t.commit,
        g.name as golden_path,
        g.position
    from staging.template_answers as t
    join staging.repos as r on r.repo = t.repo
    left join staging.golden_paths as g on g.source_norm = t.source_norm
    where t.source is not null
)
select
    repo,
    -- the answer file that matched a golden path wins; then copier over cruft
    arg_min(source, (golden_path is null, tool <> 'copier', position)) as template_source,
    arg_min(commit, (golden_path is null, tool <> 'copier', position)) as template_commit,
    arg_min(golden_path, (golden_path is null, tool <> 'copier', position)) as golden_path
from answers
group by repo
