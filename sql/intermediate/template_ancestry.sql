-- Every commit reachable (through all parents, so merged side branches count) from each
-- commit drift is measured from or to: the template repos' heads and every resolved pin.
-- One row per (repo, start_sha, sha), `sha` = `start_sha` included; the set `git rev-list
-- START` lists. A recursive CTE with UNION: each commit is visited once per start.
with recursive starts as (
    select template_repo as repo, resolved_sha as start_sha
    from intermediate.template_resolution
    where resolved_sha is not null
    union
    select repo, head_sha from intermediate.template_heads where head_sha is not null
),

edges as (
    select repo, sha, unnest(parents) as parent
    from staging.template_commits
),

reach(repo, start_sha, sha) as (
    select repo, start_sha, start_sha from starts
    union
    select r.repo, r.start_sha, e.parent
    from reach as r
    join edges as e on e.repo = r.repo and e.sha = r.sha
)

select repo, start_sha, sha from reach
