-- materialized: macro
-- parameters: dimension := 'all', teams := NULL, languages := NULL
-- The intervals of marts.selected_history (every column) with `group_value`, the group an
-- adoption figure counts the service in during that interval: its owner then ('owner'), its
-- language then ('language') or NULL (`dimension` 'all', the whole selection); and
-- `creation_state`, true on the interval that holds the service's state at the end of its
-- creation day (UTC), the state new-service adoption counts (marts.services_created). The
-- intervals every adoption macro counts.
select
    case dimension when 'owner' then h.owner when 'language' then h.language end as group_value,
    h.valid_from < date_trunc('day', h.created_at) + interval 1 day
        and (h.valid_to is null or h.valid_to >= date_trunc('day', h.created_at) + interval 1 day) as creation_state,
    h.*
from marts.selected_history(teams := teams, languages := languages) as h
