-- materialized: macro
-- parameters: teams := NULL, languages := NULL, start := NULL, stop := NULL
-- The escape hatch over one period [start, stop) of the selection: the rate and reasons at the
-- period's end (marts.escape_hatch_at, `measured_at` its instant) and how many services took
-- the escape hatch during it (`new_escape_hatches`: using it at the end, not at the start;
-- marts.escape_hatch_services). One row.
select
    a.*,
    (
        select count(*) from marts.escape_hatch_services(teams := teams, languages := languages, start := start, stop := stop)
        where new_in_period
    ) as new_escape_hatches
from marts.escape_hatch_at(teams := teams, languages := languages, instant := stop) as a
