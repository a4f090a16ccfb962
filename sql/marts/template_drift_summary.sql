-- materialized: macro
-- parameters: teams := NULL, languages := NULL, start := NULL, stop := NULL
-- The Maintenance page's headline, as of the refresh: how many golden paths there are and how
-- many are stale (marts.template_health), and of the selected services (marts.selected_services)
-- created in [start, stop) (NULL: unbounded) that follow a template, how many are behind it and
-- how many could not be resolved (marts.template_drift). One row.
select
    (select count(*) from marts.template_health) as golden_paths,
    (select count(*) from marts.template_health where stale) as stale_templates,
    count(*) filter (where d.commits_behind > 0) as services_behind,
    count(*) filter (where d.unresolved_reason is not null) as services_unresolved
from marts.template_drift as d
join marts.selected_services(teams := teams, languages := languages) as s
    on s.service = d.service and s.repo = d.repo
where d.kind = 'template'
  and (start is null or s.created_at >= start::timestamp) and (stop is null or s.created_at < stop::timestamp)
