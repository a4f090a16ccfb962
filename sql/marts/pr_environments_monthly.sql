-- Ephemeral pull-request environments: namespaces whose name matches
-- kubernetes.pr_namespace_pattern (a glob, default `pr-*`), created per month and cluster,
-- from the first such namespace's month through the refresh's month. `still_listed` counts
-- those of the month the cluster still lists today.
with pr as (
    select cluster, name, created_at, deleted
    from staging.k8s_namespaces
    where is_pr_environment
),

months as (
    select unnest(generate_series(
        (select min(date_trunc('month', created_at))::date from pr),
        date_trunc('month', s.as_of)::date,
        interval 1 month
    ))::date as month
    from config.settings as s
)

select
    m.month,
    count(pr.name) as created,
    count(pr.name) filter (where not pr.deleted) as still_listed
from months as m
left join pr on date_trunc('month', pr.created_at)::date = m.month
group by m.month
order by m.month
