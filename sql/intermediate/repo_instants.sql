-- One row per in-scope repo and instant at which one of its files changed (its creation when
-- it has none): the instants at which its services' state is worked out. `is_current` marks
-- the latest one, whose state is today's. Before a repo's first instant its services have the
-- state of that instant (SPEC §3 "Service history").
with instants as (
    select distinct v.repo, v.valid_from as instant
    from staging.file_versions as v
    join staging.repos as r on r.repo = v.repo
    union all
    select r.repo, r.created_at
    from staging.repos as r
    where r.repo not in (select repo from staging.file_versions)
)

select
    repo,
    instant,
    lead(instant) over (partition by repo order by instant) as next_instant,
    lead(instant) over (partition by repo order by instant) is null as is_current
from instants
