"""The raw tables: the one shape every source (GitHub, Kubernetes, the demo) writes.

Each table is declared once here with its DuckDB column types and its natural key. Sources
produce Polars frames with exactly these columns; `warehouse.upsert` loads them by natural key,
so loading the same frame twice changes nothing. All timestamps are naive UTC (`TIMESTAMP`).

JSON-valued columns (`labels`, `annotations`, `pod_spec`) hold a JSON text: the raw object as
the API returned it, so later parsers can read more of it without a re-fetch.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class RawTable:
    name: str
    columns: dict[str, str]  # column → DuckDB type
    key: tuple[str, ...]  # natural key; empty = append-only
    doc: str
    retired: tuple[str, ...] = ()  # columns an older pathlens created and nothing writes any more

    @property
    def qualified(self) -> str:
        return f"raw.{self.name}"

    def add_missing_columns(self, existing: set[str]) -> list[str]:
        """ALTER statements adding the columns a table created by an older pathlens lacks.

        New columns are only ever appended to a table's declaration, so adding them at the end
        keeps the stored column order equal to the declared one (loads insert by position).
        """
        return [f'ALTER TABLE {self.qualified} ADD COLUMN "{c}" {t}'
                for c, t in self.columns.items() if c not in existing]

    def drop_retired_columns(self, existing: set[str]) -> list[str]:
        """ALTER statements dropping the retired columns a table created by an older pathlens
        still has, so the stored columns are the declared ones, in order."""
        return [f'ALTER TABLE {self.qualified} DROP COLUMN "{c}"' for c in self.retired if c in existing]

    def ddl(self) -> str:
        """The CREATE TABLE statement. The natural key is kept by `warehouse.upsert`, not by a
        PRIMARY KEY: DuckDB's index would make bulk loads of millions of runs many times slower."""
        cols = ",\n  ".join(f'"{c}" {t}' for c, t in self.columns.items())
        return f"CREATE TABLE IF NOT EXISTS {self.qualified} (\n  {cols}\n)"

    def polars_schema(self) -> dict[str, pl.DataType]:
        return {c: _POLARS[t] for c, t in self.columns.items()}

    def empty(self) -> pl.DataFrame:
        return pl.DataFrame(schema=self.polars_schema())


_POLARS: dict[str, pl.DataType] = {
    "VARCHAR": pl.String(),
    "BIGINT": pl.Int64(),
    "INTEGER": pl.Int32(),
    "DOUBLE": pl.Float64(),
    "BOOLEAN": pl.Boolean(),
    "TIMESTAMP": pl.Datetime("us"),
    "DATE": pl.Date(),
    "VARCHAR[]": pl.List(pl.String()),
}


RAW_TABLES: dict[str, RawTable] = {
    t.name: t
    for t in [
        RawTable(
            "refreshes",
            {
                "refresh_id": "VARCHAR",
                "source": "VARCHAR",  # 'demo' | 'github'
                "as_of": "TIMESTAMP",  # the refresh's "now": monthly tables run through its month
                "started_at": "TIMESTAMP",
            },
            ("refresh_id",),
            "One row per refresh; the latest one's `as_of` ends every monthly series.",
            retired=("finished_at",),  # declared, never written
        ),
        RawTable(
            "repos",
            {
                "repo": "VARCHAR",  # OWNER/NAME, as GitHub spells it
                "name": "VARCHAR",
                "created_at": "TIMESTAMP",
                "pushed_at": "TIMESTAMP",
                "language": "VARCHAR",  # GitHub's primary language, as reported
                "archived": "BOOLEAN",
                "fork": "BOOLEAN",
                "default_branch": "VARCHAR",
                "tree_sha": "VARCHAR",
                "html_url": "VARCHAR",
                "fetched_at": "TIMESTAMP",
            },
            ("repo",),
            "Every repository of the organisation, in scope or not.",
        ),
        RawTable(
            "repo_files",
            {
                "repo": "VARCHAR",
                "path": "VARCHAR",
                "sha": "VARCHAR",  # blob sha
                "size": "BIGINT",
                "content": "VARCHAR",  # the file's text; NULL when it could not be read
                "fetched_at": "TIMESTAMP",
            },
            ("repo", "path"),
            "The files pathlens reads (catalog, service spec, template answers, workflows), as text.",
        ),
        RawTable(
            "repo_file_versions",
            {
                "repo": "VARCHAR",
                "path": "VARCHAR",
                "commit_sha": "VARCHAR",  # the default-branch commit that wrote this version
                "committed_at": "TIMESTAMP",  # that commit's committer date (UTC)
                "blob_sha": "VARCHAR",  # NULL when the commit deleted the file
                "size": "BIGINT",
                "content": "VARCHAR",  # the text at that commit; NULL when deleted or unreadable
                "deleted": "BOOLEAN",  # the commit removed the file: absent from committed_at on
                "fetched_at": "TIMESTAMP",
            },
            ("repo", "path", "commit_sha"),
            "Every version of every file pathlens reads, on the repo's default branch: one row per "
            "commit that touched it (back to history.backfill_days) plus the version each refresh "
            "saw, so service history is rebuilt from the same parsers as today's state.",
        ),
        RawTable(
            "template_commits",
            {
                "repo": "VARCHAR",  # owner/name, lower case: a golden path's template or a platform workflow repo
                "sha": "VARCHAR",
                "committed_at": "TIMESTAMP",  # committer date (UTC)
                "parents": "VARCHAR[]",  # parent shas, in order (two or more for a merge)
                "fetched_at": "TIMESTAMP",
            },
            ("repo", "sha"),
            "The commit graph of the template and platform workflow repos: every commit reachable "
            "from the default-branch head or a tag, read once (commits never change).",
        ),
        RawTable(
            "template_refs",
            {
                "repo": "VARCHAR",  # owner/name, lower case
                "kind": "VARCHAR",  # 'head' (the default branch; name = its name) | 'tag'
                "name": "VARCHAR",
                "sha": "VARCHAR",  # the commit it points to (annotated tags peeled)
                "fetched_at": "TIMESTAMP",
            },
            ("repo", "kind", "name"),
            "Where the template and platform workflow repos' default branch and tags point now.",
        ),
        RawTable(
            "workflow_runs",
            {
                "repo": "VARCHAR",
                "run_id": "BIGINT",
                "run_attempt": "INTEGER",
                "workflow_id": "BIGINT",
                "workflow_name": "VARCHAR",
                "workflow_path": "VARCHAR",
                "event": "VARCHAR",
                "status": "VARCHAR",
                "conclusion": "VARCHAR",
                "head_branch": "VARCHAR",
                "created_at": "TIMESTAMP",
                "run_started_at": "TIMESTAMP",
                "updated_at": "TIMESTAMP",
                "fetched_at": "TIMESTAMP",
            },
            ("repo", "run_id"),
            "GitHub Actions workflow runs; the latest attempt of each run.",
        ),
        RawTable(
            "deployments",
            {
                "repo": "VARCHAR",
                "deployment_id": "BIGINT",
                "environment": "VARCHAR",
                "ref": "VARCHAR",
                "sha": "VARCHAR",
                "created_at": "TIMESTAMP",
                "status_state": "VARCHAR",  # latest status: success, failure, error, in_progress, ...
                "status_at": "TIMESTAMP",
                "fetched_at": "TIMESTAMP",
            },
            ("repo", "deployment_id"),
            "GitHub deployments with their latest status.",
        ),
        RawTable(
            "issues",
            {
                "repo": "VARCHAR",
                "number": "BIGINT",
                "title": "VARCHAR",
                "state": "VARCHAR",
                "created_at": "TIMESTAMP",
                "closed_at": "TIMESTAMP",
                "updated_at": "TIMESTAMP",
                "labels": "VARCHAR[]",
                "is_pull_request": "BOOLEAN",
                "html_url": "VARCHAR",
                "author": "VARCHAR",
                "fetched_at": "TIMESTAMP",
            },
            ("repo", "number"),
            "Issues (and pull requests, flagged) of the exception-request repos.",
        ),
        RawTable(
            "k8s_namespaces",
            {
                "cluster": "VARCHAR",  # kubeconfig context
                "name": "VARCHAR",
                "uid": "VARCHAR",
                "labels": "VARCHAR",  # JSON object
                "created_at": "TIMESTAMP",
                "deleted": "BOOLEAN",  # no longer listed by the cluster
                "fetched_at": "TIMESTAMP",
            },
            ("cluster", "name"),
            "Namespaces; ones the cluster no longer lists are kept with deleted = true.",
        ),
        RawTable(
            "k8s_workloads",
            {
                "cluster": "VARCHAR",
                "kind": "VARCHAR",  # Deployment | StatefulSet
                "namespace": "VARCHAR",
                "name": "VARCHAR",
                "uid": "VARCHAR",
                "labels": "VARCHAR",  # JSON object
                "annotations": "VARCHAR",  # JSON object
                "replicas": "INTEGER",
                "pod_spec": "VARCHAR",  # JSON: spec.template.spec
                "created_at": "TIMESTAMP",
                "fetched_at": "TIMESTAMP",
            },
            ("cluster", "kind", "namespace", "name"),
            "Deployments and StatefulSets as last seen.",
        ),
        RawTable(
            "k8s_replicasets",
            {
                "cluster": "VARCHAR",
                "namespace": "VARCHAR",
                "name": "VARCHAR",
                "uid": "VARCHAR",
                "owner_kind": "VARCHAR",
                "owner_name": "VARCHAR",
                "labels": "VARCHAR",  # JSON object
                "revision": "BIGINT",  # deployment.kubernetes.io/revision
                "replicas": "INTEGER",
                "created_at": "TIMESTAMP",
                "first_seen_at": "TIMESTAMP",
                "fetched_at": "TIMESTAMP",
            },
            ("cluster", "namespace", "name"),
            "Every ReplicaSet ever seen: the rollout history, kept after the cluster prunes it.",
        ),
        RawTable(
            "backstage_entities",
            {
                "entity_ref": "VARCHAR",  # kind:namespace/name, lower case
                "kind": "VARCHAR",
                "namespace": "VARCHAR",
                "name": "VARCHAR",
                "entity": "VARCHAR",  # JSON
                "fetched_at": "TIMESTAMP",
            },
            ("entity_ref",),
            "Component entities from a Backstage catalog API (optional source).",
        ),
        RawTable(
            "service_snapshots",
            {
                "snapshot_date": "DATE",  # the refresh's as_of date
                "refresh_id": "VARCHAR",
                "service": "VARCHAR",
                "repo": "VARCHAR",
                "owner": "VARCHAR",
                "language": "VARCHAR",
                "golden_path": "VARCHAR",
                "on_golden_path": "BOOLEAN",
                "has_service_spec": "BOOLEAN",
                "escape_hatch": "BOOLEAN",
                "escape_hatch_reasons": "VARCHAR[]",
                "uses_platform_ci": "BOOLEAN",
                # appended later (an older warehouse's rows hold NULL): the refresh's instant, the
                # rest of the state, and what came from no git file — the Backstage API component
                # the service was read from (its fields as the API gave them) and the repo's
                # GitHub language — so service history takes them as they were observed
                "observed_at": "TIMESTAMP",  # the refresh's as_of
                "catalogued": "BOOLEAN",
                "template_commit": "VARCHAR",
                "catalog_source": "VARCHAR",  # repo (a catalog file) | backstage (the API) | NULL
                "catalog_type": "VARCHAR",
                "catalog_owner": "VARCHAR",  # spec.owner as written (aliases are applied when read)
                "lifecycle": "VARCHAR",
                "source_template": "VARCHAR",
                "kubernetes_id": "VARCHAR",
                "declared_escape_hatch_reason": "VARCHAR",
                "template_version": "VARCHAR",
                "repo_language": "VARCHAR",  # the repo's GitHub language as read then
            },
            ("snapshot_date", "repo", "service"),
            "Per-service state at each refresh date (the day's last refresh): history the sources "
            "themselves do not keep, and the input of service history for what no git file holds.",
        ),
        RawTable(
            "fetch_errors",
            {
                "refresh_id": "VARCHAR",
                "source": "VARCHAR",
                "repo": "VARCHAR",  # or cluster context
                "endpoint": "VARCHAR",
                "status": "INTEGER",
                "message": "VARCHAR",
                "occurred_at": "TIMESTAMP",
            },
            (),
            "What could not be fetched; the refresh went on without it.",
        ),
        RawTable(
            "fetch_log",
            {
                "refresh_id": "VARCHAR",
                "source": "VARCHAR",
                "endpoint": "VARCHAR",
                "requests": "BIGINT",
                "not_modified": "BIGINT",
                "retries": "BIGINT",
                "rate_limit_waits": "BIGINT",
                "wait_s": "DOUBLE",
                "bytes": "BIGINT",
                "recorded_at": "TIMESTAMP",
                "points": "BIGINT",  # GraphQL points spent (rateLimit.cost); 0 for REST endpoints
            },
            (),
            "API calls spent per refresh and endpoint.",
        ),
        RawTable(
            "fetch_state",
            {
                "source": "VARCHAR",
                "scope": "VARCHAR",  # repo, cluster or '*'
                "key": "VARCHAR",  # e.g. 'runs_cursor', 'etag:/orgs/acme/repos?page=1'
                "value": "VARCHAR",
                "updated_at": "TIMESTAMP",
            },
            ("source", "scope", "key"),
            "Cursors and ETags; written in the same transaction as the data they describe.",
        ),
        RawTable(
            "ci_runs_monthly_compacted",
            {
                "month": "DATE",
                "repo": "VARCHAR",
                "runs": "BIGINT",
                "failed": "BIGINT",
                "succeeded": "BIGINT",
                "reruns": "BIGINT",
                "median_duration_s": "DOUBLE",
                "p90_duration_s": "DOUBLE",
                "median_queue_s": "DOUBLE",
                "compacted_at": "TIMESTAMP",
            },
            ("repo", "month"),
            "Workflow runs past ci.retention_days, folded into frozen per repo-month figures.",
        ),
        RawTable(
            "run_failures",
            {
                "run_id": "VARCHAR",  # the Dagster run
                "job_name": "VARCHAR",
                "failed_at": "TIMESTAMP",
                "steps": "VARCHAR[]",  # the steps that failed
                "message": "VARCHAR",  # first line of the first error, secrets redacted
                "recorded_at": "TIMESTAMP",
            },
            ("run_id",),
            "Dagster runs that failed, as the run-failure sensor recorded them.",
        ),
    ]
}
