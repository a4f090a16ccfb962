-- One row per exception request: an issue (not a pull request) of one of exceptions.repos
-- carrying exceptions.label (case-insensitive), in any state. team: the owner (short form) its
-- `team:X` / `team/X` label names, through teams.aliases (the first such label in alphabetical
-- order when there are several), else NULL. service: the service it names (a `service:X` or
-- `repo:X` label, else the one service named in its title), else NULL.
-- service_escape_hatch: whether that service uses the escape hatch now (when `service:X` names
-- a service of several repos, whether one of them does), matched as marts.escape_hatches counts
-- its requests; NULL when the request names no service.
select
    r.repo, r.number, r.title, r.team, r.state, r.opened_at, r.closed_at, r.days_to_close, r.labels,
    r.html_url, r.service, r.service_repo, r.team_ref, r.team_label,
    case when r.service is not null then exists (
        select 1 from intermediate.services as sv
        where sv.escape_hatch and sv.service = r.service
            and (r.service_repo is null or r.service_repo = sv.repo)
    ) end as service_escape_hatch
from intermediate.exception_requests as r
order by r.opened_at, r.repo, r.number
