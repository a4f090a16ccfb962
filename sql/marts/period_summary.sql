-- materialized: macro
-- parameters: start := NULL, stop := NULL, previous_start := NULL
-- The report's headline figures for the period [start, stop) and the period before it,
-- [previous_start, start), of the whole organisation: for each figure X, `X` (this period),
-- `previous_X` and `X_change` (X minus previous_X; for ratios a difference of ratios; NULL when
-- either is NULL). The figures: new-service and overall adoption and their counts
-- (marts.adoption_period), escape-hatch services at the end and new escape hatches
-- (marts.escape_hatch_period), exception requests opened, closed, open at the end and the
-- median days to close (marts.exception_summary), and production deploys
-- (marts.deploy_summary). CI figures: marts.ci_summary_change. One row.
with cur as (
    select
        a.new_service_adoption, a.services_created, a.golden_path_created, a.overall_adoption,
        e.escape_hatch_services, e.new_escape_hatches,
        x.opened as exception_requests_opened, x.closed as exception_requests_closed,
        x.open_at_end as exception_requests_open_at_end, x.median_days_to_close,
        d.production_deploys
    from marts.adoption_period(start := start, stop := stop) as a
    cross join marts.escape_hatch_period(start := start, stop := stop) as e
    cross join marts.exception_summary(start := start, stop := stop) as x
    cross join marts.deploy_summary(start := start, stop := stop) as d
),

prev as (
    select
        a.new_service_adoption, a.services_created, a.golden_path_created, a.overall_adoption,
        e.escape_hatch_services, e.new_escape_hatches,
        x.opened as exception_requests_opened, x.closed as exception_requests_closed,
        x.open_at_end as exception_requests_open_at_end, x.median_days_to_close,
        d.production_deploys
    from marts.adoption_period(start := previous_start, stop := start) as a
    cross join marts.escape_hatch_period(start := previous_start, stop := start) as e
    cross join marts.exception_summary(start := previous_start, stop := start) as x
    cross join marts.deploy_summary(start := previous_start, stop := start) as d
)

select
    c.new_service_adoption,
    p.new_service_adoption as previous_new_service_adoption,
    c.new_service_adoption - p.new_service_adoption as new_service_adoption_change,
    c.services_created,
    p.services_created as previous_services_created,
    c.services_created - p.services_created as services_created_change,
    c.golden_path_created,
    p.golden_path_created as previous_golden_path_created,
    c.golden_path_created - p.golden_path_created as golden_path_created_change,
    c.overall_adoption,
    p.overall_adoption as previous_overall_adoption,
    c.overall_adoption - p.overall_adoption as overall_adoption_change,
    c.escape_hatch_services,
    p.escape_hatch_services as previous_escape_hatch_services,
    c.escape_hatch_services - p.escape_hatch_services as escape_hatch_services_change,
    c.new_escape_hatches,
    p.new_escape_hatches as previous_new_escape_hatches,
    c.new_escape_hatches - p.new_escape_hatches as new_escape_hatches_change,
    c.exception_requests_opened,
    p.exception_requests_opened as previous_exception_requests_opened,
    c.exception_requests_opened - p.exception_requests_opened as exception_requests_opened_change,
    c.exception_requests_closed,
    p.exception_requests_closed as previous_exception_requests_closed,
    c.exception_requests_closed - p.exception_requests_closed as exception_requests_closed_change,
    c.exception_requests_open_at_end,
    p.exception_requests_open_at_end as previous_exception_requests_open_at_end,
    c.exception_requests_open_at_end - p.exception_requests_open_at_end as exception_requests_open_at_end_change,
    c.median_days_to_close,
    p.median_days_to_close as previous_median_days_to_close,
    c.median_days_to_close - p.median_days_to_close as median_days_to_close_change,
    c.production_deploys,
    p.production_deploys as previous_production_deploys,
    c.production_deploys - p.production_deploys as production_deploys_change
from cur as c
cross join prev as p
