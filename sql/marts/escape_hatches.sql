-- One row per service whose service spec sets the escape hatch, with its sorted reasons, since
-- when it has one (the start of the first interval of marts.service_history with an escape
-- hatch), how old that is at the refresh's as_of, in days, and exception_requests: how many
-- exception requests name the service (marts.exception_requests `service`, of this repo or of
-- no single repo).
with since as (
    select service, repo, min(valid_from) as since
    from intermediate.service_history
    where escape_hatch
    group by service, repo
)

select
    sv.service, sv.repo, sv.owner, sv.language, sv.escape_hatch_reasons as reasons, sv.spec_path,
    sv.created_at, h.since, epoch(s.as_of - h.since) / 86400 as age_days,
    (
        select count(*) from intermediate.exception_requests as r
        where r.service = sv.service and (r.service_repo is null or r.service_repo = sv.repo)
    ) as exception_requests
from intermediate.services as sv
cross join config.settings as s
left join since as h on h.service = sv.service and h.repo = sv.repo
where sv.escape_hatch
order by sv.service, sv.repo
