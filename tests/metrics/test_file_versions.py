"""The file timeline (`staging.file_versions`, SPEC §3 "Service history": the state at an instant
comes from each file's content at its newest commit at or before it; a file absent then counts
as absent), on hand-built raw rows. Every expected interval is worked out by hand in comments;
blobs are the md5 of the text (no blob sha given), computed here with hashlib.

as_of = 2024-05-15 10:00, history.backfill_days = 730: the window starts at 2022-05-16 10:00.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import polars as pl

from tests.metrics.conftest import AS_OF, build, repo

T = datetime.fromisoformat
SPEC = "service.yaml"


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def spec(name: str) -> str:
    return f"service:\n  name: {name}\n  language: go\n"


def versions(*rows: tuple[str, str, str, str | None]) -> pl.DataFrame:
    """(repo name, path, committed_at, text or None for a deletion) → raw.repo_file_versions rows."""
    return pl.DataFrame([
        {"repo": f"acme/{name}", "path": path, "commit_sha": f"{i:040x}", "committed_at": T(at), "blob_sha": None,
         "size": None if text is None else len(text), "content": text, "deleted": text is None, "fetched_at": AS_OF}
        for i, (name, path, at, text) in enumerate(rows)], schema_overrides={"blob_sha": pl.String, "size": pl.Int64})


def current(*rows: tuple[str, str, str]) -> pl.DataFrame:
    """(repo name, path, text) → raw.repo_files rows, fetched at as_of."""
    return pl.DataFrame([{"repo": f"acme/{name}", "path": path, "sha": None, "size": len(text), "content": text,
                          "fetched_at": AS_OF} for name, path, text in rows], schema_overrides={"sha": pl.String})


def timeline(con, name: str, path: str) -> list[tuple]:
    return con.execute("SELECT valid_from, valid_to, blob FROM staging.file_versions WHERE repo = ? AND path = ? "
                       "ORDER BY valid_from", [f"acme/{name}", path]).fetchall()


def test_a_deletion_makes_the_file_absent_until_the_refresh_sees_it_again(tmp_path):
    # REST path without history: the refresh of 2024-03-01 saw the spec gone (a `deleted` row at
    # that head commit); today's refresh reads it again (raw.repo_files) with the same text A.
    # Timeline: A from creation 2024-02-01 09:00; absent from 2024-03-01 12:00; A again from
    # today's fetch (as_of 2024-05-15 10:00) on. The newest recorded version is the deletion,
    # so today's text differs from it and takes effect when it was read.
    a = spec("re")
    con = build(tmp_path, repos=[repo("re", "2024-02-01 09:00", "Go")],
                extra={"repo_file_versions": versions(("re", SPEC, "2024-02-01 09:00", a),
                                                      ("re", SPEC, "2024-03-01 12:00", None)),
                       "repo_files": current(("re", SPEC, a))})
    assert timeline(con, "re", SPEC) == [
        (T("2024-02-01 09:00"), T("2024-03-01 12:00"), md5(a)),
        (T("2024-03-01 12:00"), AS_OF, None),
        (AS_OF, None, md5(a)),
    ]
    # the service (uncatalogued, from the spec) exists now
    assert con.sql("SELECT service FROM marts.services").fetchall() == [("re",)]


def test_a_file_deleted_and_re_added_in_history_is_absent_in_between(tmp_path):
    # Versions: A 2024-02-01 09:00, deleted 2024-03-01 12:00, B (another name) 2024-04-01 08:00,
    # which raw.repo_files also holds. Expected: A, absent, B — the deletion is not skipped.
    a, b = spec("first"), spec("second")
    con = build(tmp_path, repos=[repo("dr", "2024-02-01 09:00", "Go")],
                extra={"repo_file_versions": versions(("dr", SPEC, "2024-02-01 09:00", a),
                                                      ("dr", SPEC, "2024-03-01 12:00", None),
                                                      ("dr", SPEC, "2024-04-01 08:00", b)),
                       "repo_files": current(("dr", SPEC, b))})
    assert timeline(con, "dr", SPEC) == [
        (T("2024-02-01 09:00"), T("2024-03-01 12:00"), md5(a)),
        (T("2024-03-01 12:00"), T("2024-04-01 08:00"), None),
        (T("2024-04-01 08:00"), None, md5(b)),
    ]
    # today's service `second` (the repo's only one) keeps its renamed past; while the spec is
    # absent (2024-03-01 12:00 to 2024-04-01 08:00) the repo declares no service
    rows = con.sql("SELECT service, valid_from, valid_to, declared FROM intermediate.service_history "
                   "ORDER BY valid_from").fetchall()
    assert rows == [("second", T("2024-02-01 09:00"), T("2024-03-01 12:00"), True),
                    ("second", T("2024-03-01 12:00"), T("2024-04-01 08:00"), False),
                    ("second", T("2024-04-01 08:00"), None, True)]


def test_a_file_that_is_deleted_now_is_absent_from_its_deletion(tmp_path):
    # A 2024-02-01 09:00, deleted 2024-03-01 12:00, not in raw.repo_files: absent from the deletion.
    a = spec("gone")
    con = build(tmp_path, repos=[repo("gone", "2024-02-01 09:00", "Go")],
                extra={"repo_file_versions": versions(("gone", SPEC, "2024-02-01 09:00", a),
                                                      ("gone", SPEC, "2024-03-01 12:00", None))})
    assert timeline(con, "gone", SPEC) == [
        (T("2024-02-01 09:00"), T("2024-03-01 12:00"), md5(a)),
        (T("2024-03-01 12:00"), None, None),
    ]
