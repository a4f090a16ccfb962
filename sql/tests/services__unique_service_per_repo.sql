-- A service appears once per repo.
select repo, service, count(*) as n
from marts.services
group by repo, service
having count(*) > 1
