-- One row per in-scope repo, instant (intermediate.repo_instants) and file present then: which
-- version (`blob`) of the file its facts are read from at that instant. A file absent then has
-- no row.
--
-- The last good version keeps a file's facts alive (issue 13 item 11): a version that could not
-- be read as a whole — an error and no facts at all (not YAML/JSON, over its size limit, no
-- content; staging.file_errors_by_version says why) — is stood in for by the version before it
-- when that one was read; `stale_since` is then when the file went bad (the first bad version's
-- start), `read_blob` the version actually on the branch. A file that is absent, or bad from its
-- first version on, has nothing to fall back on: its bad version stays (no facts). Because this
-- is the version timeline, today's services and their history agree.
with facts as (
    select repo, path, blob from staging.catalog_components_by_version
    union all
    select repo, path, blob from staging.service_specs_by_version
    union all
    select repo, path, blob from staging.template_answers_by_version
    union all
    select repo, path, blob from staging.workflow_calls_by_version
),

bad as (
    select repo, path, blob from staging.file_errors_by_version where severity = 'error'
    except
    select repo, path, blob from facts
),

marked as (
    select
        v.repo,
        v.path,
        v.valid_from,
        v.valid_to,
        v.blob,
        b.blob is not null as is_bad,
        -- a run starts at every version that is absent or good; bad versions join the run before them
        sum(case when b.blob is null then 1 else 0 end) over (
            partition by v.repo, v.path order by v.valid_from rows unbounded preceding
        ) as run
    from staging.file_versions as v
    left join bad as b on b.repo = v.repo and b.path = v.path and b.blob = v.blob
),

runs as (
    select
        *,
        first_value(blob) over (partition by repo, path, run order by valid_from) as run_blob,
        first_value(is_bad) over (partition by repo, path, run order by valid_from) as run_starts_bad,
        min(case when is_bad then valid_from end) over (partition by repo, path, run) as went_bad_at
    from marked
),

used as (
    select
        repo,
        path,
        valid_from,
        valid_to,
        blob as read_blob,
        case when is_bad and not run_starts_bad and run_blob is not null then run_blob else blob end as blob,
        case when is_bad and not run_starts_bad and run_blob is not null then went_bad_at end as stale_since
    from runs
)

select i.repo, i.instant, i.is_current, v.path, v.blob, v.read_blob, v.stale_since
from intermediate.repo_instants as i
join used as v
    on v.repo = i.repo
   and v.valid_from <= i.instant
   and (v.valid_to is null or v.valid_to > i.instant)
where v.blob is not null
