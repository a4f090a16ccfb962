-- materialized: macro
-- parameters: teams := NULL, languages := NULL
-- The services (marts.services rows, today's state) owned by one of `teams` (short form) and
-- written in one of `languages`: lists, NULL meaning all, a NULL element selecting the services
-- without an owner (uncatalogued) or without a language. Lists of services and per-service
-- friction (CI runs, deploys) filter through it.
select s.*
from marts.services as s
where (teams is null or coalesce(list_position(teams::varchar[], s.owner), 0) > 0)
  and (languages is null or coalesce(list_position(languages::varchar[], s.language), 0) > 0)
