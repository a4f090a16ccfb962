-- One row per service: its first production deploy and the days (fractional) from the
-- service's created_at to it; NULL where it has not been deployed to production yet.
select
    sv.service,
    sv.repo,
    sv.created_at,
    f.first_production_deploy_at,
    epoch(f.first_production_deploy_at - sv.created_at) / 86400.0 as days,
    sv.on_golden_path
from intermediate.services as sv
left join (
    select service, repo, min(deployed_at) as first_production_deploy_at
    from marts.deploys
    where production
    group by service, repo
) as f on f.service = sv.service and f.repo = sv.repo
order by sv.service, sv.repo
