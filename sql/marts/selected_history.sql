-- materialized: macro
-- parameters: teams := NULL, languages := NULL
-- The intervals of marts.service_history in which the service's owner (short form) is one of
-- `teams` and its language one of `languages` at that time: lists, NULL meaning all, a NULL
-- element selecting the intervals without an owner (uncatalogued) or without a language. Every
-- metric macro that counts services at an instant starts from it, so a team or language filter
-- means the same everywhere: the owner and language the service had then, as
-- marts.adoption_monthly_by_team / _by_language group them.
select h.*
from marts.service_history as h
where (teams is null or coalesce(list_position(teams::varchar[], h.owner), 0) > 0)
  and (languages is null or coalesce(list_position(languages::varchar[], h.language), 0) > 0)
