-- One row per exception request (staging.issues where is_exception_request), with the service
-- it names (SPEC §3): the service named by its `service:X` label (compared case-insensitively);
-- else the single service of the repo named by its `repo:X` label (OWNER/NAME or NAME); else the
-- single in-scope service whose name is a whole word of the title (case-insensitive; words are
-- runs of letters, digits, `.`, `_` and `-`, so `checkout` is not named by `checkout-api`).
-- NULL when none of these names exactly one service. service_repo is that service's repo, NULL
-- when a `service:X` label names a service of several repos.
with requests as (
    select * from staging.issues where is_exception_request
),

by_service_label as (
    select r.repo, r.number, any_value(sv.service) as service,
        case when count(distinct sv.repo) = 1 then any_value(sv.repo) end as service_repo
    from requests as r
    join intermediate.services as sv on lower(sv.service) = lower(r.service_label)
    group by r.repo, r.number
),

by_repo_label as (
    select r.repo, r.number, any_value(sv.service) as service, any_value(sv.repo) as service_repo
    from requests as r
    join intermediate.services as sv
        on lower(sv.repo) = lower(r.repo_label) or lower(split_part(sv.repo, '/', 2)) = lower(r.repo_label)
    group by r.repo, r.number
    having count(*) = 1
),

title_words as (
    select distinct repo, number, trim(word, '.-_') as word
    from (
        select repo, number, unnest(string_split_regex(lower(title), '[^a-z0-9._-]+')) as word
        from requests
    )
),

by_title as (
    select w.repo, w.number, any_value(sv.service) as service, any_value(sv.repo) as service_repo
    from title_words as w
    join intermediate.services as sv on lower(sv.service) = w.word
    group by w.repo, w.number
    having count(*) = 1
)

select
    r.repo,
    r.number,
    r.title,
    r.team,
    r.team_ref,
    r.team_label,
    r.state,
    r.created_at as opened_at,
    r.closed_at,
    epoch(r.closed_at - r.created_at) / 86400.0 as days_to_close,
    r.labels,
    r.html_url,
    coalesce(sl.service, rl.service, t.service) as service,
    case
        when sl.service is not null then sl.service_repo
        when rl.service is not null then rl.service_repo
        else t.service_repo
    end as service_repo
from requests as r
left join by_service_label as sl on sl.repo = r.repo and sl.number = r.number
left join by_repo_label as rl on rl.repo = r.repo and rl.number = r.number
left join by_title as t on t.repo = r.repo and t.number = r.number
