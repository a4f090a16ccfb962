-- materialized: macro
-- parameters: teams := NULL, languages := NULL, start := NULL, stop := NULL
-- Time to first deploy (marts.time_to_first_deploy) of the selected services
-- (marts.selected_services) created in [start, stop) (NULL: unbounded) that reached production,
-- golden-path services against the others (`on_golden_path`, today's state), as a box plot
-- draws it: `services` (n), the quartiles `q1`, `median`, `q3` (interpolated, quantile_cont),
-- the whiskers `lower_fence` / `upper_fence` (the smallest / largest days within 1.5 × (q3 −
-- q1) of the box) and `outliers`, the services beyond them (service, repo, days; in order of
-- days). One row per side with at least one deployed service.
with deployed as (
    select t.service, t.repo, t.days, t.on_golden_path
    from marts.time_to_first_deploy as t
    semi join marts.selected_services(teams := teams, languages := languages) as s
        on s.service = t.service and s.repo = t.repo
    where t.days is not null
      and (start is null or t.created_at >= start::timestamp) and (stop is null or t.created_at < stop::timestamp)
),

boxes as (
    select on_golden_path, count(*) as services, quantile_cont(days, [0.25, 0.5, 0.75]) as q
    from deployed
    group by on_golden_path
),

reach as (
    select on_golden_path, services, q[1] as q1, q[2] as median, q[3] as q3,
           q[1] - 1.5 * (q[3] - q[1]) as lowest, q[3] + 1.5 * (q[3] - q[1]) as highest
    from boxes
)

select
    r.on_golden_path,
    r.services,
    r.q1,
    r.median,
    r.q3,
    min(d.days) filter (where d.days >= r.lowest) as lower_fence,
    max(d.days) filter (where d.days <= r.highest) as upper_fence,
    coalesce(list({'service': d.service, 'repo': d.repo, 'days': d.days} order by d.days, d.service, d.repo)
             filter (where d.days < r.lowest or d.days > r.highest), []) as outliers
from reach as r
join deployed as d on d.on_golden_path = r.on_golden_path
group by r.on_golden_path, r.services, r.q1, r.median, r.q3
order by r.on_golden_path desc
