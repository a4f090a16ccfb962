-- One row per in-scope repo and instant at which its services' state is worked out: each
-- instant one of its files changed (its creation when it has none) and each refresh whose view
-- of it matters (intermediate.repo_observations: this refresh's as_of, earlier refreshes where
-- what they saw changed). `is_current` marks the latest one, whose state is today's. Before a
-- repo's first instant its services have the state of that instant (SPEC §3 "Service history").
--
-- Each instant carries the refresh observation in effect then — the latest at or before it, or
-- the repo's first one for an instant before every observation — whose view supplies what comes
-- from no git file (`observed_at`, `observed_live`: this refresh's own view; `observed_inputs`:
-- that refresh recorded those inputs) and `repo_language`, the repo's GitHub language as seen
-- then (today's where it was not recorded).
with instants as (
    select distinct v.repo, v.valid_from as instant
    from staging.file_versions as v
    join staging.repos as r on r.repo = v.repo
    union
    select r.repo, r.created_at
    from staging.repos as r
    where r.repo not in (select repo from staging.file_versions)
    union
    select repo, observed_at
    from intermediate.repo_observations
),

firsts as (
    select repo, min(observed_at) as first_observed_at
    from intermediate.repo_observations
    group by repo
),

at_instants as (
    select i.repo, i.instant, coalesce(o.observed_at, f.first_observed_at) as observed_at
    from instants as i
    join firsts as f on f.repo = i.repo
    asof left join intermediate.repo_observations as o on o.repo = i.repo and o.observed_at <= i.instant
),

languages as (
    select repo, observed_at, any_value(repo_language) as repo_language
    from staging.service_snapshots
    group by repo, observed_at
)

select
    a.repo,
    a.instant,
    lead(a.instant) over (partition by a.repo order by a.instant) as next_instant,
    lead(a.instant) over (partition by a.repo order by a.instant) is null as is_current,
    a.observed_at,
    o.is_live as observed_live,
    o.has_inputs as observed_inputs,
    case
        when o.is_live or not o.has_inputs or l.repo is null then r.language
        else lower(l.repo_language)
    end as repo_language
from at_instants as a
join intermediate.repo_observations as o on o.repo = a.repo and o.observed_at = a.observed_at
join staging.repos as r on r.repo = a.repo
left join languages as l on l.repo = a.repo and l.observed_at = a.observed_at and not o.is_live
