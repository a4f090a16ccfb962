"""warehouse.transaction: the one way a writer groups statements."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.warehouse import transaction


@pytest.fixture
def con():
    with duckdb.connect() as con:
        con.execute("create table t (n int)")
        yield con


def rows(con: duckdb.DuckDBPyConnection) -> list[tuple[int]]:
    return con.sql("select n from t order by n").fetchall()


def test_the_block_is_committed_when_it_ends(con):
    with transaction(con):
        con.execute("insert into t values (1)")
        con.execute("insert into t values (2)")
    assert rows(con) == [(1,), (2,)]
    with transaction(con):
        con.execute("insert into t values (3)")
    assert rows(con) == [(1,), (2,), (3,)]


@pytest.mark.parametrize("error", [ValueError("bad row"), KeyboardInterrupt()])
def test_the_block_is_rolled_back_when_it_raises_anything(con, error):
    con.execute("insert into t values (1)")
    with pytest.raises(type(error)):
        with transaction(con):
            con.execute("insert into t values (2)")
            raise error
    assert rows(con) == [(1,)]


def test_a_block_inside_a_transaction_joins_it(con):
    with pytest.raises(RuntimeError):
        with transaction(con):
            con.execute("insert into t values (1)")
            with transaction(con):  # no nested BEGIN (DuckDB would refuse it)
                con.execute("insert into t values (2)")
            raise RuntimeError("the outer block fails after the inner one ended")
    assert rows(con) == []  # the outer rollback took the inner block's rows too
