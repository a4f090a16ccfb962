-- One row per service (SPEC §3 "Service") and instant of its repo (intermediate.repo_instants):
-- every service-type catalog component of an in-scope repo, plus one uncatalogued service per
-- in-scope repo that has no such component but has a parsed platform service spec — each as
-- the repo's files in effect at that instant declare it. Carries every fact the marts need.
-- The rows with `is_current` are today's services (intermediate.services); the others are their
-- past (intermediate.service_history): one set of rules for both. What comes from no git file —
-- a Backstage API component, the repo's GitHub language — is as the refresh observation in
-- effect at the instant saw it (intermediate.repo_instants, intermediate.components);
-- `catalog_*`, `source_template`, `template_version` and `repo_language` are those inputs, kept
-- for the dated snapshot.
with catalogued as (
    select
        c.repo, c.instant, c.is_current, c.service, c.owner, c.owner_ref, c.lifecycle, c.source_template, c.kubernetes_id,
        c.escape_hatch_reason, c.template_version, true as catalogued, c.catalog_source, c.catalog_owner,
        c.type as catalog_type
    from intermediate.components as c
),

uncatalogued as (
    select
        p.repo, p.instant, p.is_current, coalesce(p.spec_name, r.name) as service, null::varchar as owner,
        null::varchar as owner_ref, null::varchar as lifecycle, null::varchar as source_template, null::varchar as kubernetes_id,
        null::varchar as escape_hatch_reason, null::varchar as template_version, false as catalogued,
        null::varchar as catalog_source, null::varchar as catalog_owner, null::varchar as catalog_type
    from intermediate.repo_specs as p
    join staging.repos as r on r.repo = p.repo
    where not exists (select 1 from intermediate.components as c where c.repo = p.repo and c.instant = p.instant)
),

services as (
    select * from catalogued
    union all
    select * from uncatalogued
),

-- A repo's spec belongs to the service its `service.name` names, or to each service of the
-- repo when it names none of them (or no name at all).
spec_of as (
    select sv.repo, sv.instant, sv.service, p.*exclude (repo, instant, is_current)
    from services as sv
    join intermediate.repo_specs as p
        on p.repo = sv.repo
       and p.instant = sv.instant
       and (
            p.spec_name = sv.service
            or not exists (
                select 1 from services as other
                where other.repo = p.repo and other.instant = p.instant and other.service = p.spec_name
            )
       )
),

ref_match as (
    select sv.repo, sv.instant, sv.service, arg_min(g.name, g.position) as golden_path
    from services as sv
    join config.golden_paths as g on lower(g.ref) = lower(sv.source_template)
    group by sv.repo, sv.instant, sv.service
),

-- the earliest instant since which a file of the repo is read from its last good version
-- (intermediate.files_at): NULL while every file it is read from parses
stale as (
    select repo, instant, min(stale_since) as stale_since
    from intermediate.files_at
    group by repo, instant
),

joined as (
    select
        sv.*,
        st.stale_since,
        r.created_at,
        ri.repo_language,
        sp.spec_path,
        sp.spec_language,
        sp.has_override,
        sp.override_gpu,
        sp.override_sidecar,
        coalesce(rm.golden_path, t.golden_path) as golden_path,
        coalesce(t.template_source, sv.source_template) as template_source,
        -- SPEC §3: copier `_commit`, else cruft `commit`, else backstage.io/template-version
        coalesce(t.template_commit, sv.template_version) as template_commit,
        coalesce(ci.uses_platform_ci, false) as uses_platform_ci
    from services as sv
    join staging.repos as r on r.repo = sv.repo
    join intermediate.repo_instants as ri on ri.repo = sv.repo and ri.instant = sv.instant
    left join spec_of as sp on sp.repo = sv.repo and sp.instant = sv.instant and sp.service = sv.service
    left join ref_match as rm on rm.repo = sv.repo and rm.instant = sv.instant and rm.service = sv.service
    left join intermediate.repo_templates as t on t.repo = sv.repo and t.instant = sv.instant
    left join intermediate.repo_ci as ci on ci.repo = sv.repo and ci.instant = sv.instant
    left join stale as st on st.repo = sv.repo and st.instant = sv.instant
),

reasons as (
    select
        *,
        list_sort(list_distinct(list_concat(
            case when override_gpu then ['gpu'] else [] end,
            case when override_sidecar then ['sidecar'] else [] end,
            case when escape_hatch_reason is not null then ['declared:' || escape_hatch_reason] else [] end
        ))) as found_reasons
    from joined
)

select
    service,
    repo,
    instant,
    is_current,
    owner,
    owner_ref,
    lower(coalesce(spec_language, repo_language)) as language,
    lifecycle,
    created_at,
    catalogued,
    golden_path,
    golden_path is not null as on_golden_path,
    template_source,
    template_commit,
    spec_path is not null as has_service_spec,
    coalesce(has_override, false) as escape_hatch,
    case
        when not coalesce(has_override, false) then []::varchar[]
        when len(found_reasons) = 0 then ['other']
        else found_reasons
    end as escape_hatch_reasons,
    uses_platform_ci,
    spec_path,
    kubernetes_id,
    escape_hatch_reason as declared_escape_hatch_reason,
    stale_since,
    catalog_source,
    catalog_type,
    catalog_owner,
    source_template,
    template_version,
    repo_language
from reasons
