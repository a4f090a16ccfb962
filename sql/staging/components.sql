-- Catalog components of in-scope repos whose spec.type is a service type (compared
-- case-insensitively): those read from the configured catalog file in each repo, plus — for
-- organisations whose catalog is not all in repos — Component entities of the optional
-- Backstage catalog API whose name no repo file declares, placed in the repo their
-- `github.com/project-slug` annotation names. One row per (repo, name).
with from_files as (
    select
        c.repo, c.name as service, c.namespace, c.type, c.owner, c.lifecycle, c.source_template,
        c.kubernetes_id, c.escape_hatch_reason, c.doc_index, 'repo' as catalog_source
    from staging.catalog_components as c
    cross join staging.settings as s
    where c.path = s.catalog_file and lower(c.kind) = 'component'
),

from_api as (
    select
        r.repo,
        e.name as service,
        e.namespace,
        json_extract_string(e.entity, '$.spec.type') as type,
        json_extract_string(e.entity, '$.spec.owner') as owner,
        json_extract_string(e.entity, '$.spec.lifecycle') as lifecycle,
        json_extract_string(e.entity, '$.metadata.annotations."backstage.io/source-template"') as source_template,
        json_extract_string(e.entity, '$.metadata.annotations."backstage.io/kubernetes-id"') as kubernetes_id,
        json_extract_string(e.entity, '$.metadata.annotations."pathlens.io/escape-hatch-reason"') as escape_hatch_reason,
        0 as doc_index,
        'backstage' as catalog_source
    from raw.backstage_entities as e
    join staging.repos as r
        on lower(r.repo) = lower(json_extract_string(e.entity, '$.metadata.annotations."github.com/project-slug"'))
    where lower(e.kind) = 'component'
      and e.name not in (select service from from_files)
)

select c.*
from (select * from from_files union all select * from from_api) as c
join staging.repos as r on r.repo = c.repo
cross join staging.settings as s
where list_contains(list_transform(s.service_types, lambda t: lower(t)), lower(c.type))
qualify row_number() over (partition by c.repo, c.service order by c.catalog_source = 'backstage', c.doc_index) = 1
