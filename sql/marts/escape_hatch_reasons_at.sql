-- materialized: macro
-- parameters: teams := NULL, languages := NULL, instant := NULL, declared_top := NULL
-- The escape-hatch services per reason at one instant `instant` (NULL: the refresh's as_of),
-- each declared reason by its own text: of the services of the selection that exist then
-- (marts.selected_history, owner and language then) and use the escape hatch, each in its
-- state at that instant, how many carry each reason (a service can carry several). One row
-- for `gpu`, `sidecar` and `other` each (0 when none carries it), one per declared text
-- (`declared:<text>`: most services first, then by text) and, when `declared_top` is given and
-- more texts than that are declared, one row (`reason` and `declared_text` NULL) for the
-- services of all the other texts. `position` orders the rows as a chart draws them.
with p as (
    select measured_at, state_at from marts.measured_instant(instant := instant)
),

-- each escape-hatch service's reasons then, once each (the list is sorted and distinct)
carried as (
    select unnest(list_distinct(h.escape_hatch_reasons)) as reason
    from marts.selected_history(teams := teams, languages := languages) as h
    cross join p
    where h.escape_hatch and h.valid_from < p.state_at and (h.valid_to is null or h.valid_to >= p.state_at)
),

counted as (
    select reason, count(*) as escape_hatch_services
    from carried
    group by reason
),

fixed as (
    select k.kind, k.kind as reason, null::varchar as declared_text,
           coalesce(c.escape_hatch_services, 0) as escape_hatch_services, null::bigint as declared_texts,
           k.kind_order
    from (values ('gpu', 1), ('sidecar', 2), ('other', 4)) as k (kind, kind_order)
    left join counted as c on c.reason = k.kind
),

declared as (
    select
        reason,
        substr(reason, length('declared:') + 1) as declared_text,
        escape_hatch_services,
        row_number() over (order by escape_hatch_services desc, reason) as declared_rank
    from counted
    where starts_with(reason, 'declared:')
),

declared_rows as (
    -- the `declared_top` most declared texts, one row each
    select 'declared' as kind, reason, declared_text, escape_hatch_services, 1::bigint as declared_texts,
           3 as kind_order, declared_rank
    from declared
    where declared_top is null or declared_rank <= declared_top
    union all
    -- the rest together (a service declares one text, so adding their services counts each once)
    select 'declared', null, null, sum(escape_hatch_services)::bigint, count(*), 3, declared_top::bigint + 1
    from declared
    where declared_top is not null and declared_rank > declared_top
    having count(*) > 0
),

rows as (
    select kind, reason, declared_text, escape_hatch_services, declared_texts, kind_order, null::bigint as declared_rank
    from fixed
    union all by name
    select kind, reason, declared_text, escape_hatch_services, declared_texts, kind_order, declared_rank
    from declared_rows
)

select
    row_number() over (order by r.kind_order, r.declared_rank) as position,
    r.kind,
    r.reason,
    r.declared_text,
    r.escape_hatch_services,
    r.declared_texts,
    p.measured_at
from rows as r
cross join p
order by position
