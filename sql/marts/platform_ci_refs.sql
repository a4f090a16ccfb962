-- materialized: macro
-- parameters: teams := NULL, languages := NULL, start := NULL, stop := NULL
-- The platform-CI workflow refs (marts.template_drift rows of kind 'ci') of the repos holding a
-- selected service (marts.selected_services) created in [start, stop); with no filter at all,
-- of every calling repo. One row per workflow and ref: how far behind its head it is, and how
-- many repos (and which) call it.
select
    d.golden_path as workflow, d.template_commit as ref, d.resolved_sha, d.commits_behind,
    d.days_behind, d.unresolved_reason, count(distinct d.repo) as repos,
    list_sort(list_distinct(list(d.repo))) as repo_list
from marts.template_drift as d
where d.kind = 'ci'
  and ((teams is null and languages is null and start is null and stop is null) or d.repo in (
        select repo from marts.selected_services(teams := teams, languages := languages)
        where (start is null or created_at >= start::timestamp) and (stop is null or created_at < stop::timestamp)))
group by all
order by d.commits_behind desc nulls first, repos desc, workflow, ref
