-- One row per service that exists today and interval of constant state (SPEC §3 "Service
-- history"): `valid_from` inclusive, `valid_to` exclusive, NULL for the current interval.
-- The state at each instant of the repo is intermediate.service_states at that instant — the very
-- rules of today's services — matched to today's service by name (or, when the repo declares
-- a single service both then and today, to that one: a renamed component keeps its history).
-- At an instant where the repo's files then did not declare the service (a catalog that did
-- not parse, a component not added yet) `declared` is false and the service counts as on no
-- golden path, without an escape hatch or an owner. While a file it is read from does not parse,
-- its last good version stands in (intermediate.files_at) and `stale_since` says since when: the
-- state is unchanged, but the broken stretch is an interval of its own. The history starts at the service's
-- `created_at`, with the state of the repo's oldest instant where no older one is known.
--
-- Refresh snapshots are part of it (docs/history.md): every refresh adds an instant (its
-- as_of) and earlier refreshes add the instants where what they saw changed
-- (intermediate.repo_instants), so state accumulates refresh by refresh. What no git file
-- holds (a Backstage API component, the repo's GitHub language) is taken at each instant from
-- the refresh observation in effect then. Files decide the rest wherever the source recorded
-- them: before `files_known_from` — the first instant at which every file of the repo read
-- has a version the source actually saw (staging.file_versions.recorded_from) — an earlier
-- refresh's snapshot in effect then gives the whole state instead, as that refresh saw it.
with current_services as (
    select service, repo, created_at, count(*) over (partition by repo) as repo_services
    from intermediate.services
),

files_known as (
    select repo, max(first_recorded) as files_known_from
    from (
        select repo, path, min(recorded_from) as first_recorded
        from staging.file_versions
        group by repo, path
    )
    group by repo
),

-- whose state each instant takes: the files', or (before the files are known, where an
-- earlier refresh saw it) that refresh's snapshot
instants as (
    select
        i.*,
        coalesce(not i.observed_live and i.observed_at < k.files_known_from and i.instant < k.files_known_from, false)
            as from_snapshot
    from intermediate.repo_instants as i
    left join files_known as k on k.repo = i.repo
),

from_files as (
    select
        s.repo, s.instant, s.service, s.on_golden_path, s.golden_path, s.template_commit, s.escape_hatch,
        s.escape_hatch_reasons, s.catalogued, s.owner, s.has_service_spec, s.language, null::boolean as uses_platform_ci,
        s.stale_since
    from intermediate.service_states as s
    join instants as i on i.repo = s.repo and i.instant = s.instant
    where not i.from_snapshot
),

from_snapshots as (
    select
        o.repo, i.instant, o.service, o.on_golden_path, o.golden_path, o.template_commit, o.escape_hatch,
        o.escape_hatch_reasons, o.catalogued, o.owner, o.has_service_spec, o.language, o.uses_platform_ci,
        null::timestamp as stale_since
    from instants as i
    join staging.service_snapshots as o on o.repo = i.repo and o.observed_at = i.observed_at
    where i.from_snapshot
),

states as (
    select *, count(*) over (partition by repo, instant) as repo_services
    from (select * from from_files union all select * from from_snapshots)
),

at_instants as (
    select
        c.service,
        c.repo,
        c.created_at,
        i.instant,
        i.next_instant,
        s.service is not null as declared,
        coalesce(s.on_golden_path, false) as on_golden_path,
        s.golden_path,
        s.template_commit,
        coalesce(s.escape_hatch, false) as escape_hatch,
        coalesce(s.escape_hatch_reasons, []::varchar[]) as escape_hatch_reasons,
        coalesce(s.uses_platform_ci, ci.uses_platform_ci) as uses_platform_ci,
        coalesce(s.catalogued, false) as catalogued,
        s.owner,
        coalesce(s.has_service_spec, false) as has_service_spec,
        coalesce(s.language, i.repo_language) as language,
        s.stale_since
    from current_services as c
    join instants as i on i.repo = c.repo
    left join intermediate.repo_ci as ci on ci.repo = i.repo and ci.instant = i.instant
    left join states as s
        on s.repo = c.repo
       and s.instant = i.instant
       and (s.service = c.service or (c.repo_services = 1 and s.repo_services = 1))
    -- instants wholly before the service existed do not count
    where i.next_instant is null or i.next_instant > c.created_at
),

changes as (
    select
        *,
        case when row_number() over w = 1 then created_at else instant end as starts_at,
        struct_pack(
            declared, on_golden_path, golden_path, template_commit, escape_hatch, escape_hatch_reasons,
            uses_platform_ci, catalogued, owner, has_service_spec, language, stale_since
        ) as state
    from at_instants
    window w as (partition by service, repo order by instant)
),

flagged as (
    select
        *,
        case when lag(state) over (partition by service, repo order by instant) is not distinct from state
            then 0 else 1 end as changed
    from changes
),

islands as (
    select
        *,
        sum(changed) over (partition by service, repo order by instant rows between unbounded preceding and current row)
            as island
    from flagged
),

intervals as (
    select service, repo, created_at, island, min(starts_at) as valid_from, any_value(state) as state
    from islands
    group by service, repo, created_at, island
)

select
    service,
    repo,
    created_at,
    valid_from,
    lead(valid_from) over (partition by service, repo order by valid_from) as valid_to,
    state.declared,
    state.on_golden_path,
    state.golden_path,
    state.template_commit,
    state.escape_hatch,
    state.escape_hatch_reasons,
    state.uses_platform_ci,
    state.catalogued,
    state.owner,
    state.has_service_spec,
    state.language,
    state.stale_since
from intervals
