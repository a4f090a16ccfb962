-- materialized: macro
-- parameters: teams := NULL, languages := NULL, start := NULL, stop := NULL
-- The services created in [start, stop) (NULL: unbounded), each in its state at the end of its
-- creation day (UTC) — the state new-service adoption counts (`creation_state`,
-- marts.grouped_history) — whose owner and language then are selected (marts.selected_history).
-- One row per service.
select service, repo, created_at, owner, language, on_golden_path, golden_path, has_service_spec, escape_hatch
from marts.grouped_history(teams := teams, languages := languages)
where creation_state
  and (start is null or created_at >= start::timestamp)
  and (stop is null or created_at < stop::timestamp)
