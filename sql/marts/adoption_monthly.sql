-- One row per month: services created and how many came from a golden path (new-service
-- adoption, NULL when none were created), and overall adoption at the month's end; the
-- unfiltered result of marts.adoption().
select
    month, services_created, golden_path_created, new_service_adoption,
    services_total, golden_path_total, overall_adoption, below_threshold, threshold, partial, period_end,
    new_service_adoption_change
from marts.adoption()
order by month
