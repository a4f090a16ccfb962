-- Services created per month per golden-path template (only months where one was created),
-- each on the golden path it was on at the end of its creation day: the unfiltered result of
-- marts.services_created_by_template() without the services on no golden path.
select month, golden_path, services_created
from marts.services_created_by_template()
where golden_path is not null
order by month, golden_path
