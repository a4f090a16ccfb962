-- One row per exception request: an issue (not a pull request) of one of exceptions.repos
-- carrying exceptions.label (case-insensitive), in any state. team: the owner (short form) its
-- `team:X` / `team/X` label names, through teams.aliases (the first such label in alphabetical
-- order when there are several), else NULL. service: the service it names (a `service:X` or
-- `repo:X` label, else the one service named in its title), else NULL.
select
    repo, number, title, team, state, opened_at, closed_at, days_to_close, labels, html_url,
    service, service_repo, team_ref, team_label
from intermediate.exception_requests
order by opened_at, repo, number
