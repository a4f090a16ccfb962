-- One row per service whose service spec sets the escape hatch, with its sorted reasons, since
-- when it has one (the start of the first interval of marts.service_history with an escape
-- hatch), how old that is at the refresh's as_of, in days, and the exception requests about it:
-- exception_requests (how many name the service: marts.exception_requests `service`, of this
-- repo or of no single repo), open_exception_requests (of those, not closed), and the latest
-- of them (by opened_at, then repo and number): its repo, number, state, opening time and link.
-- The latest_request_* columns are NULL when no request names the service.
with since as (
    select service, repo, min(valid_from) as since
    from intermediate.service_history
    where escape_hatch
    group by service, repo
),

hatch_requests as (
    select
        sv.service,
        sv.repo,
        count(*) as exception_requests,
        count(*) filter (where r.closed_at is null) as open_exception_requests,
        arg_max(
            {'repo': r.repo, 'number': r.number, 'state': r.state, 'opened_at': r.opened_at, 'url': r.html_url},
            (r.opened_at, r.repo, r.number)
        ) as latest
    from intermediate.services as sv
    join intermediate.exception_requests as r
        on r.service = sv.service and (r.service_repo is null or r.service_repo = sv.repo)
    where sv.escape_hatch
    group by sv.service, sv.repo
)

select
    sv.service, sv.repo, sv.owner, sv.language, sv.escape_hatch_reasons as reasons, sv.spec_path,
    sv.created_at, h.since, epoch(s.as_of - h.since) / 86400 as age_days,
    coalesce(q.exception_requests, 0) as exception_requests,
    coalesce(q.open_exception_requests, 0) as open_exception_requests,
    q.latest.repo as latest_request_repo,
    q.latest.number as latest_request_number,
    q.latest.state as latest_request_state,
    q.latest.opened_at as latest_request_opened_at,
    q.latest.url as latest_request_url
from intermediate.services as sv
cross join config.settings as s
left join since as h on h.service = sv.service and h.repo = sv.repo
left join hatch_requests as q on q.service = sv.service and q.repo = sv.repo
where sv.escape_hatch
order by sv.service, sv.repo
