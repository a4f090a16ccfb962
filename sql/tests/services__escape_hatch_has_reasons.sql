-- An escape-hatch service has at least one reason and a service spec; others have none.
select service, repo, escape_hatch, escape_hatch_reasons
from marts.services
where (escape_hatch and (len(escape_hatch_reasons) = 0 or not has_service_spec))
   or (not escape_hatch and len(escape_hatch_reasons) > 0)
