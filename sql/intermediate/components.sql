-- Catalog components of in-scope repos whose spec.type is a service type (compared
-- case-insensitively), at each instant of the repo (intermediate.repo_instants): those read from
-- the version of the configured catalog file in effect then, plus — for organisations whose
-- catalog is not all in repos — Component entities of the optional Backstage catalog API
-- whose name no repo file declares today, placed in the repo their `github.com/project-slug`
-- annotation names. The API keeps no history: at an instant whose refresh observation
-- (intermediate.repo_instants) is an earlier refresh's, the components that refresh read from
-- the API (staging.service_snapshots, `catalog_source` = 'backstage') stand in for today's
-- entities; elsewhere — this refresh's view, or a snapshot of an older pathlens that did not
-- record them — today's entities do.
-- One row per (repo, instant, name); `is_current` marks today's. owner_ref is spec.owner
-- (mapped through teams.aliases) as a full lower-case Backstage entity reference, owner its
-- short form (SPEC §3 "Team").
with from_files as (
    select
        f.repo, f.instant, f.is_current, c.name as service, c.namespace, c.type, c.owner, c.lifecycle,
        c.source_template, c.kubernetes_id, c.escape_hatch_reason, c.template_version, c.doc_index,
        'repo' as catalog_source
    from intermediate.files_at as f
    join staging.catalog_components_by_version as c on c.repo = f.repo and c.path = f.path and c.blob = f.blob
    cross join config.settings as s
    where f.path = s.catalog_file and lower(c.kind) = 'component'
),

from_api as (
    select
        i.repo,
        i.instant,
        i.is_current,
        e.name as service,
        e.namespace,
        e.type,
        e.owner,
        e.lifecycle,
        e.source_template,
        e.kubernetes_id,
        e.escape_hatch_reason,
        e.template_version,
        0 as doc_index,
        'backstage' as catalog_source
    from staging.backstage_entities as e
    join intermediate.repo_instants as i on lower(i.repo) = lower(e.project_slug)
    where lower(e.kind) = 'component'
      and e.name not in (select service from from_files where is_current)
      and (i.observed_live or not i.observed_inputs)
),

from_api_then as (
    select
        i.repo,
        i.instant,
        i.is_current,
        o.service,
        null::varchar as namespace,
        o.catalog_type as type,
        o.catalog_owner as owner,
        o.lifecycle,
        o.source_template,
        o.kubernetes_id,
        o.declared_escape_hatch_reason as escape_hatch_reason,
        o.template_version,
        0 as doc_index,
        'backstage' as catalog_source
    from intermediate.repo_instants as i
    join staging.service_snapshots as o on o.repo = i.repo and o.observed_at = i.observed_at
    where not i.observed_live and i.observed_inputs and o.catalog_source = 'backstage'
)

select c.* exclude (owner), config.owner_short(c.owner_ref) as owner, c.owner_ref, c.owner as catalog_owner
from (
    select *, config.team_ref(owner) as owner_ref from from_files
    union all
    select *, config.team_ref(owner) from from_api
    union all
    select *, config.team_ref(owner) from from_api_then
) as c
cross join config.settings as s
where list_contains(list_transform(s.service_types, lambda t: lower(t)), lower(c.type))
qualify row_number() over (partition by c.repo, c.instant, c.service order by c.catalog_source = 'backstage', c.doc_index) = 1
