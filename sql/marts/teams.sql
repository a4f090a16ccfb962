-- One row per team: every owner of a service and every team an exception request's label
-- names (SPEC §3 "Team": owner is the short form, owner_ref the full lower-case reference).
-- has_services is false for a team that only labels name: a label matching no owner, reported
-- as a data-quality warning with exception_labels, the labels that spelled it.
with owners as (
    select owner_ref, count(*) as services, count(*) filter (where on_golden_path) as golden_path_services
    from intermediate.services
    where owner_ref is not null
    group by owner_ref
),

requests as (
    select team_ref, count(*) as exception_requests, list_sort(list_distinct(list(team_label))) as exception_labels
    from intermediate.exception_requests
    where team_ref is not null
    group by team_ref
)

select
    config.owner_short(coalesce(o.owner_ref, r.team_ref)) as owner,
    coalesce(o.owner_ref, r.team_ref) as owner_ref,
    coalesce(o.services, 0) as services,
    coalesce(o.golden_path_services, 0) as golden_path_services,
    coalesce(r.exception_requests, 0) as exception_requests,
    o.owner_ref is not null as has_services,
    coalesce(r.exception_labels, []::varchar[]) as exception_labels
from owners as o
full join requests as r on r.team_ref = o.owner_ref
order by owner
