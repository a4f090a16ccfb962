-- Team references (SPEC §3 "Team"), written once and used by every model that reads an owner
-- or a team label. An owner is a Backstage entity reference `[kind:][namespace/]name`; kind
-- defaults to `group`, namespace to `default`, and references compare case-insensitively.

-- The full reference in lower case: `Team-X` and `group:default/Team-X` are both
-- `group:default/team-x`; NULL for NULL or blank text.
create or replace macro config.owner_ref(reference) as (
    case when nullif(trim(reference), '') is not null then lower(
        coalesce(nullif(regexp_extract(trim(reference), '^(?:([^:/]+):)?(?:([^/]+)/)?(.+)$', 1), ''), 'group')
        || ':'
        || coalesce(nullif(regexp_extract(trim(reference), '^(?:([^:/]+):)?(?:([^/]+)/)?(.+)$', 2), ''), 'default')
        || '/'
        || regexp_extract(trim(reference), '^(?:([^:/]+):)?(?:([^/]+)/)?(.+)$', 3)
    ) end
);

-- The short form of a full reference: the kind dropped when it is `group`, the namespace when
-- it is `default` (`group:default/team-x` → `team-x`, `user:default/jane` → `user:jane`,
-- `group:ops/sre` → `ops/sre`).
create or replace macro config.owner_short(ref) as (
    case when ref is not null then
        case when split_part(ref, ':', 1) <> 'group' then split_part(ref, ':', 1) || ':' else '' end
        || case when split_part(split_part(ref, ':', 2), '/', 1) <> 'default'
                then split_part(split_part(ref, ':', 2), '/', 1) || '/' else '' end
        || substr(split_part(ref, ':', 2), length(split_part(split_part(ref, ':', 2), '/', 1)) + 2)
    end
);

-- A team spelling (an exception label's suffix, a legacy owner name) as a full reference:
-- mapped through teams.aliases (config.team_aliases, compared trimmed and case-insensitively),
-- else read as a reference itself. The alias lookup is a subquery and owner_ref / owner_short
-- repeat their argument: compute team_ref once per row (a column) before taking its short form.
create or replace macro config.team_ref(spelling) as config.owner_ref(coalesce(
    (select a.owner from config.team_aliases as a where a.alias = lower(trim(spelling))),
    spelling
));
