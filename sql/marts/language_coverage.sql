-- One row per language that has services or that a configured golden path lists: is it served
-- by a golden path (SPEC §3 "Language coverage": a golden path lists it in `languages`, or, for
-- a golden path without that list, at least one service of the language was created from it),
-- and how its services, and those created in the 90 days up to the refresh, adopt the golden
-- paths. Services of unknown language are left out, except in the 90-day total the share of
-- new services is taken of.
with settings as (
    select as_of, as_of - interval 90 days as since from config.settings
),

declared as (
    select g.name, unnest(g.languages) as language
    from config.golden_paths as g
    where g.languages is not null
),

observed as (
    select distinct g.name, s.language
    from marts.services as s
    join config.golden_paths as g on g.name = s.golden_path
    where g.languages is null and s.language is not null
),

covering as (
    select language, list_sort(list_distinct(list(name))) as golden_paths
    from (select * from declared union all select * from observed)
    group by language
),

languages as (
    select language from marts.services where language is not null
    union
    select language from declared
),

new_total as (
    select count(*) as created_90d
    from marts.services as s, settings as t
    where s.created_at > t.since and s.created_at <= t.as_of
)

select
    l.language,
    count(s.service) as services,
    count(*) filter (where s.on_golden_path) as golden_path_services,
    c.golden_paths is not null as covered,
    coalesce(c.golden_paths, []::varchar[]) as golden_paths,
    count(*) filter (where s.created_at > t.since and s.created_at <= t.as_of) as services_created_90d,
    count(*) filter (where s.created_at > t.since and s.created_at <= t.as_of and s.on_golden_path)
        / nullif(count(*) filter (where s.created_at > t.since and s.created_at <= t.as_of), 0) as adoption_90d,
    count(*) filter (where s.created_at > t.since and s.created_at <= t.as_of)
        / nullif(any_value(n.created_90d), 0) as share_of_new_90d
from languages as l
cross join settings as t
cross join new_total as n
left join marts.services as s on s.language = l.language
left join covering as c on c.language = l.language
group by l.language, c.golden_paths
order by services desc, l.language
