-- Ratios within [0, 1], golden-path counts within service counts, totals never shrinking,
-- and the cumulative total agreeing with marts.services.
with checked as (
    select
        *,
        lag(services_total) over (order by month) as previous_total
    from marts.adoption_monthly
)
select month, services_created, golden_path_created, services_total, golden_path_total
from checked
where golden_path_created > services_created
   or golden_path_total > services_total
   or new_service_adoption not between 0 and 1
   or overall_adoption not between 0 and 1
   or services_total < coalesce(previous_total, 0)
   or (month = (select max(month) from marts.adoption_monthly)
       and services_total <> (
           select count(*) from marts.services
           where created_at < (select max(month) from marts.adoption_monthly) + interval 1 month
       ))
