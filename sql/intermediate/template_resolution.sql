-- Each distinct (template repo, pin) resolved to a commit of the stored graph, the way git
-- reads a revision: a full 40-hex sha as itself; else a tag of that name (where it points now,
-- so a tag that moved resolves to its new commit); else the default branch's name or HEAD (the
-- head); else `git describe` output (`v1.4.0-3-g1a2b3c4` → the abbreviated sha after `-g`);
-- else an abbreviated sha (4 to 39 hex digits) matching exactly one commit.
-- `unresolved_reason`: 'history_unavailable' (the repo's history could not be read),
-- 'ambiguous' (an abbreviation matching several commits), 'not_found' (no such commit, tag or
-- branch in the repo's default-branch history and tags).
with pins as (
    select distinct template_repo, pin
    from intermediate.template_pins
    where template_repo is not null and pin is not null
),

parsed as (
    select
        template_repo,
        pin,
        case
            when regexp_full_match(pin, '[0-9a-fA-F]{4,40}') then lower(pin)
            when regexp_full_match(pin, '.+-[0-9]+-g[0-9a-fA-F]{4,40}')
                then lower(regexp_extract(pin, '-g([0-9a-fA-F]{4,40})$', 1))
        end as abbrev
    from pins
),

candidates as (
    select p.template_repo, p.pin, count(c.sha) as matches, min(c.sha) as only_sha
    from parsed as p
    left join staging.template_commits as c
        on c.repo = p.template_repo and p.abbrev is not null and starts_with(c.sha, p.abbrev)
    group by p.template_repo, p.pin
),

resolved as (
    select
        p.template_repo,
        p.pin,
        h.head_sha is not null as history_read,
        case when length(p.pin) = 40 and p.abbrev = lower(p.pin) and cand.matches = 1 then cand.only_sha end as by_full_sha,
        t.sha as by_tag,
        case when p.pin = h.branch or p.pin = 'HEAD' then h.head_sha end as by_branch,
        case when cand.matches = 1 then cand.only_sha end as by_abbrev,
        cand.matches
    from parsed as p
    left join intermediate.template_heads as h on h.repo = p.template_repo
    left join staging.template_refs as t on t.repo = p.template_repo and t.kind = 'tag' and t.name = p.pin
    left join candidates as cand on cand.template_repo = p.template_repo and cand.pin = p.pin
)

select
    template_repo,
    pin,
    case when history_read then lower(coalesce(by_full_sha, by_tag, by_branch, by_abbrev)) end as resolved_sha,
    case
        when not history_read then 'history_unavailable'
        when coalesce(by_full_sha, by_tag, by_branch, by_abbrev) is not null then null
        when matches > 1 then 'ambiguous'
        else 'not_found'
    end as unresolved_reason
from resolved
