-- One row per issue; closed no earlier than opened.
select repo, number
from marts.exception_requests
group by repo, number
having count(*) > 1 or bool_or(closed_at < opened_at)
