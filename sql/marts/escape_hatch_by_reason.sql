-- One row per escape-hatch reason as of the refresh (`gpu`, `sidecar`, each declared text,
-- `other`): how many escape-hatch services carry it, each service in today's state; the
-- unfiltered result of marts.escape_hatch_reasons_at().
select position, kind, reason, declared_text, escape_hatch_services, declared_texts, measured_at
from marts.escape_hatch_reasons_at()
order by position
