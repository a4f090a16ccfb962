-- One row per exception request: an issue (not a pull request) of one of exceptions.repos
-- carrying exceptions.label (case-insensitive), in any state. Its team is the suffix of a
-- `team:X` or `team/X` label (prefix matched case-insensitively; the first such label in
-- alphabetical order when there are several), else NULL.
with requests as (
    select * from staging.issues where is_exception_request
)
select
    repo,
    number,
    title,
    list_min(list_transform(
        list_filter(labels, lambda l: regexp_matches(l, '^team[:/].+', 'i')),
        lambda l: substr(l, 6)
    )) as team,
    state,
    created_at as opened_at,
    closed_at,
    epoch(closed_at - created_at) / 86400.0 as days_to_close,
    labels,
    html_url
from requests
order by opened_at, repo, number
