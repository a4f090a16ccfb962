-- One row per service: the per-service figures the golden path vs DIY comparisons
-- (marts.golden_path_vs_diy, _by_language) are computed from. The service is the unit of
-- independence: a side's n is its number of services with the figure. ci_failed /
-- ci_decided: its runs that failed / failed or succeeded; median_ci_duration_s: the median
-- of its monthly median durations of completed runs (each month with completed runs counts
-- once, compacted months included; ci_months of them); production_deploys over service_weeks (weeks from
-- created_at to the refresh's as_of); days_to_first_deploy: as in marts.time_to_first_deploy.
-- stratum: language × owner, the like-for-like comparison's strata ('(none)' where unknown).
with ci as (
    -- from the monthly figures, so months compacted by retention count too
    select
        service,
        repo,
        sum(failed) as ci_failed,
        sum(failed + succeeded) as ci_decided,
        count(median_duration_s) as ci_months,
        median(median_duration_s) as median_ci_duration_s
    from marts.ci_friction_monthly
    group by service, repo
),

deploys as (
    select service, repo, count(*) as production_deploys
    from marts.deploys
    where production
    group by service, repo
)

select
    sv.service,
    sv.repo,
    sv.on_golden_path,
    sv.language,
    sv.owner,
    coalesce(sv.language, '(none)') || ' × ' || coalesce(sv.owner, '(none)') as stratum,
    coalesce(ci.ci_failed, 0) as ci_failed,
    coalesce(ci.ci_decided, 0) as ci_decided,
    coalesce(ci.ci_months, 0) as ci_months,
    ci.median_ci_duration_s,
    coalesce(d.production_deploys, 0) as production_deploys,
    greatest(epoch(s.as_of - sv.created_at), 0) / 604800.0 as service_weeks,
    t.days as days_to_first_deploy
from marts.services as sv
cross join config.settings as s
left join ci on ci.service = sv.service and ci.repo = sv.repo
left join deploys as d on d.service = sv.service and d.repo = sv.repo
left join marts.time_to_first_deploy as t on t.service = sv.service and t.repo = sv.repo
order by sv.service, sv.repo
