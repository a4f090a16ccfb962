-- One row per golden-path service × its template (kind 'template') and per in-scope repo ×
-- reusable-workflow call into a platform workflow repo (kind 'ci'): how far the commit it is
-- pinned to is behind the template's default-branch head (SPEC §3 "Template drift").
-- commits_behind = `git rev-list --count COMMIT..HEAD`, counted on the stored commit graph;
-- days_behind = head committer date − commit committer date, in days (0 when up to date).
-- Both NULL, with unresolved_reason, when the commit cannot be resolved.
with behind as (
    select
        h.repo,
        x.start_sha,
        count(*) filter (
            where not exists (
                select 1 from intermediate.template_ancestry as b
                where b.repo = h.repo and b.start_sha = x.start_sha and b.sha = a.sha
            )
        ) as commits_behind
    from intermediate.template_heads as h
    join (select distinct repo, start_sha from intermediate.template_ancestry) as x on x.repo = h.repo
    join intermediate.template_ancestry as a on a.repo = h.repo and a.start_sha = h.head_sha
    group by h.repo, x.start_sha
)

select
    p.kind,
    p.service,
    p.repo,
    p.golden_path,
    p.pin as template_commit,
    r.resolved_sha,
    b.commits_behind,
    case
        when b.commits_behind = 0 then 0.0
        when b.commits_behind is not null
            then (epoch(h.head_at) - epoch(c.committed_at)) / 86400.0
    end as days_behind,
    h.head_sha,
    h.head_at,
    case
        when p.source_problem is not null then p.source_problem
        when p.pin is null then 'missing'
        else r.unresolved_reason
    end as unresolved_reason,
    p.template_repo
from intermediate.template_pins as p
left join intermediate.template_heads as h on h.repo = p.template_repo
left join intermediate.template_resolution as r on r.template_repo = p.template_repo and r.pin = p.pin
left join behind as b on b.repo = p.template_repo and b.start_sha = r.resolved_sha
left join staging.template_commits as c on c.repo = p.template_repo and c.sha = r.resolved_sha
order by p.kind desc, p.golden_path, p.repo, p.service, p.pin
