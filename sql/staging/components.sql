-- Catalog components of in-scope repos whose spec.type is a service type (compared
-- case-insensitively), read from the configured catalog file. One row per (repo, name).
select
    c.repo,
    c.name as service,
    c.namespace,
    c.type,
    c.owner,
    c.lifecycle,
    c.source_template,
    c.kubernetes_id,
    c.escape_hatch_reason,
    c.doc_index
from staging.catalog_components as c
join staging.repos as r on r.repo = c.repo
cross join staging.settings as s
where c.path = s.catalog_file
  and lower(c.kind) = 'component'
  and list_contains(list_transform(s.service_types, lambda t: lower(t)), lower(c.type))
qualify row_number() over (partition by c.repo, c.name order by c.doc_index) = 1
