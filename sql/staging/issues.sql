-- One row per issue or pull request of the exception-request repos (raw.issues), with the
-- per-issue rules of SPEC §3 "Exception request" written once:
-- is_exception_request: an issue (not a pull request) of one of exceptions.repos carrying
--   exceptions.label (both compared case-insensitively), in any state;
-- team_label: its `team:X` / `team/X` label (prefix matched case-insensitively; the first in
--   alphabetical order when there are several), team_ref: X mapped through teams.aliases, else
--   read as a Backstage entity reference (full, lower case), team: its short form;
-- service_label / repo_label: the X of its first `service:X` / `repo:X` label, as written.
with labelled as (
    select
        i.*,
        list_min(list_filter(i.labels, lambda l: regexp_matches(l, '^team[:/].+', 'i'))) as team_label,
        list_min(list_transform(
            list_filter(i.labels, lambda l: regexp_matches(l, '^service:.+', 'i')), lambda l: trim(substr(l, 9))
        )) as service_label,
        list_min(list_transform(
            list_filter(i.labels, lambda l: regexp_matches(l, '^repo:.+', 'i')), lambda l: trim(substr(l, 6))
        )) as repo_label
    from raw.issues as i
),

-- The team reference once per row: config.team_ref holds a subquery and owner_short repeats
-- its argument, so nesting the two macros multiplied the subqueries (20 s for 1,667 issues).
teamed as (
    select *, config.team_ref(substr(team_label, 6)) as team_ref from labelled
)

select
    i.repo,
    i.number,
    i.title,
    i.state,
    i.created_at,
    i.closed_at,
    i.labels,
    i.html_url,
    coalesce(i.is_pull_request, false) as is_pull_request,
    not coalesce(i.is_pull_request, false)
        and list_contains(s.exceptions_repos, lower(i.repo))
        and list_contains(list_transform(i.labels, lambda l: lower(l)), s.exceptions_label)
        as is_exception_request,
    i.team_label,
    i.team_ref,
    config.owner_short(i.team_ref) as team,
    nullif(i.service_label, '') as service_label,
    nullif(i.repo_label, '') as repo_label
from teamed as i
cross join config.settings as s
