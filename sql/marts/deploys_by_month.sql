-- materialized: macro
-- parameters: teams := NULL, languages := NULL, start := NULL, stop := NULL
-- Production deploys per service and month, golden-path services against the others
-- (`on_golden_path`, today's state), for the months overlapping [start, stop) (NULL: from the
-- first production deploy through the refresh's month): the month's production deploys
-- (marts.deploys) of the selected services (marts.selected_services, a service being its name
-- and repo) ÷ those of them created by the month's end (`period_end`; the refresh's as_of for
-- the refresh's month, which is `partial`). `n` is that number of services.
with svc as (
    select service, repo, on_golden_path, created_at
    from marts.selected_services(teams := teams, languages := languages)
),

months as (
    select
        m.month::date as month,
        m.month::date = date_trunc('month', s.as_of)::date as partial,
        least((m.month + interval 1 month)::timestamp, s.as_of) as period_end
    from config.settings as s,
        unnest(generate_series(
            coalesce(date_trunc('month', start::timestamp),
                     (select min(date_trunc('month', deployed_at)) from marts.deploys where production)),
            date_trunc('month', least(coalesce(stop::timestamp - interval 1 microsecond, s.as_of), s.as_of)),
            interval 1 month
        )) as m(month)
),

existing as (
    select m.month, v.on_golden_path, count(*) as services
    from months as m
    join svc as v on v.created_at < m.month + interval 1 month
    group by all
),

deploys as (
    select date_trunc('month', d.deployed_at)::date as month, v.on_golden_path, count(*) as deploys
    from marts.deploys as d
    join svc as v on v.service = d.service and v.repo = d.repo
    where d.production
      and (start is null or d.deployed_at >= start::timestamp) and (stop is null or d.deployed_at < stop::timestamp)
    group by all
)

select
    e.month,
    e.on_golden_path,
    coalesce(d.deploys, 0) as deploys,
    e.services as n,
    coalesce(d.deploys, 0) / e.services as deploys_per_service,
    m.partial,
    m.period_end
from existing as e
join months as m on m.month = e.month
left join deploys as d on d.month = e.month and d.on_golden_path = e.on_golden_path
order by e.month, e.on_golden_path
