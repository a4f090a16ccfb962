-- Services created per month per golden-path template (only months where one was created).
select
    date_trunc('month', created_at)::date as month,
    golden_path,
    count(*) as services_created
from intermediate.services
where on_golden_path
group by all
order by month, golden_path
