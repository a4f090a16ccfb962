-- One row per in-scope repo and refresh whose view of it matters to service history (SPEC §3
-- "Every refresh extends it with the current state"): this refresh (`is_live`, at its as_of,
-- for every repo), and each earlier refresh date's snapshot (staging.service_snapshots, the
-- day's last refresh) at which what was seen of the repo — its services and their state, the
-- Backstage API components they were read from, its GitHub language — differs from the
-- repo's previous snapshot, or is its first. A repo in scope then without a row in a snapshot
-- had no service then. Today's date's own snapshot is left out: this refresh replaces it.
with this_refresh as (
    select as_of from config.settings
),

past as (
    select
        repo,
        observed_at,
        has_inputs,
        service,
        struct_pack(
            service, owner, language, golden_path, on_golden_path, has_service_spec, escape_hatch,
            escape_hatch_reasons, uses_platform_ci, catalogued, template_commit, catalog_source, catalog_type,
            catalog_owner, lifecycle, source_template, kubernetes_id, declared_escape_hatch_reason,
            template_version, repo_language
        )::varchar as state
    from staging.service_snapshots
    where snapshot_date < (select as_of::date from this_refresh)
),

dates as (
    select observed_at, bool_and(has_inputs) as has_inputs
    from past
    group by observed_at
),

seen as (
    select repo, observed_at, string_agg(state, '|' order by service) as seen
    from past
    group by repo, observed_at
),

per_repo as (
    select r.repo, d.observed_at, d.has_inputs, coalesce(s.seen, '') as seen
    from staging.repos as r
    join dates as d on d.observed_at >= r.created_at
    left join seen as s on s.repo = r.repo and s.observed_at = d.observed_at
)

select repo, observed_at, has_inputs, false as is_live
from per_repo
qualify lag(seen) over (partition by repo order by observed_at) is distinct from seen
union all
select r.repo, s.as_of, true, true
from staging.repos as r
cross join this_refresh as s
