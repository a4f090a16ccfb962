-- One row per file read and interval in which one version of it was in effect on the repo's
-- default branch (SPEC §3 "Service history"): `valid_from` inclusive, `valid_to` exclusive
-- (NULL: still in effect), `blob` the version's git blob sha (the md5 of its text where a source
-- gave none, as the parse step keys `*_by_version`), NULL while the file was absent.
--
-- Read from raw.repo_file_versions (each default-branch commit touching the file) and
-- raw.repo_files (what the latest refresh saw). Where the recorded history does not end with
-- the current text, the current text takes effect when it was read; a file the history has but
-- the repo no longer holds is absent from the refresh on. History reaches back
-- `history.backfill_days` before the first refresh (the window): an older version counts from
-- the window's start (the newest of them wins). The GitHub source records each file's state at
-- the branch's commit at the window's start (a `deleted` row for a file not there yet) and at
-- the previous head for a file seen for the first time, so a file added inside the window is
-- absent before it. Where no such record exists, in a repo older than the window each file's
-- oldest version read counts from the window's start: the history read says nothing of what
-- came before it. In a repo created inside the window the history read is complete, and a file
-- is absent before its first version. `recorded_from` is when the source actually saw the
-- version from (`valid_from`, except on such a first version moved back to the window's start):
-- service history takes an earlier refresh's snapshot over files before it.
with bounds as (
    select
        s.as_of,
        least(s.as_of, (select min(as_of) from raw.refreshes)) - to_days(s.history_backfill_days) as window_start
    from config.settings as s
),

recorded as (
    select
        repo,
        path,
        committed_at as changed_at,
        commit_sha,
        case when not coalesce(deleted, false) then coalesce(blob_sha, md5(content)) end as blob
    from raw.repo_file_versions
),

newest as (
    -- arg_max_null: a deletion (NULL blob) as the newest version means the file is absent now
    select repo, path, max(changed_at) as changed_at, arg_max_null(blob, (changed_at, commit_sha)) as blob
    from recorded
    group by repo, path
),

current_files as (
    select repo, path, coalesce(sha, md5(content)) as blob, fetched_at from raw.repo_files
),

events as (
    select repo, path, changed_at, blob, 0 as source_rank, commit_sha from recorded
    union all
    select c.repo, c.path, greatest(c.fetched_at, n.changed_at), c.blob, 1, null
    from current_files as c
    left join newest as n on n.repo = c.repo and n.path = c.path
    where n.blob is distinct from c.blob
    union all
    select n.repo, n.path, greatest(b.as_of, n.changed_at), null, 1, null
    from newest as n
    cross join bounds as b
    where n.blob is not null
      and n.repo in (select repo from raw.repos)
      and not exists (select 1 from current_files as c where c.repo = n.repo and c.path = n.path)
),

clamped as (
    select e.repo, e.path, greatest(e.changed_at, b.window_start) as valid_from, e.blob
    from events as e
    cross join bounds as b
    qualify row_number() over (
        partition by e.repo, e.path, greatest(e.changed_at, b.window_start)
        order by e.changed_at desc, e.source_rank desc, e.commit_sha desc
    ) = 1
),

known as (
    select
        c.repo,
        c.path,
        case
            when row_number() over (partition by c.repo, c.path order by c.valid_from) = 1
             and coalesce(r.created_at < b.window_start, false)
            then b.window_start
            else c.valid_from
        end as valid_from,
        c.valid_from as recorded_from,
        c.blob
    from clamped as c
    cross join bounds as b
    left join raw.repos as r on r.repo = c.repo
)

select
    repo,
    path,
    valid_from,
    lead(valid_from) over (partition by repo, path order by valid_from) as valid_to,
    blob,
    recorded_from
from known
