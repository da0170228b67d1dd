"""Results kept until a table they read changes: which tables a statement reads (ioc_app.lake.reads),
each table's last change from the catalog's log (ioc_app.lake.changes), and the query cache keyed
by them (ioc_app.web.query_cache), on SQLite and PostgreSQL catalogs."""
from __future__ import annotations

import pytest

from ioc_app.lake import connect, snapshot_id
from ioc_app.lake.changes import TableVersions
from ioc_app.lake.reads import tables_read
from ioc_app.web.lake_reader import LakeReader
from ioc_app.web.query_cache import QueryCache
from tests.lake_fixtures import any_catalog, make_settings, pg_lake  # noqa: F401 (fixtures)


def test_a_statement_reads_the_tables_it_names_and_not_its_ctes():
    sql = """WITH hit AS (SELECT t.a FROM fact_ticket t WHERE t.k IN (SELECT unnest(?::VARCHAR[]))),
                  page AS (SELECT * FROM hit ORDER BY 1 LIMIT ?)
             SELECT p.*, d.name, (SELECT count(*) FROM hit) FROM page p LEFT JOIN lake.main.dim_area d ON TRUE
             WHERE EXISTS (SELECT 1 FROM agg_ticket_backlog b)"""
    assert tables_read(sql) == {"fact_ticket", "dim_area", "agg_ticket_backlog"}
    # A CTE's body sees the real table it is named after.
    assert tables_read("WITH fact_ticket AS (SELECT * FROM fact_ticket) SELECT * FROM fact_ticket") == {"fact_ticket"}
    # A CTE is in scope only under the query that defines it.
    assert tables_read("SELECT * FROM a WHERE EXISTS (WITH q AS (SELECT * FROM b) SELECT * FROM q) "
                       "AND x IN (SELECT y FROM q)") == {"a", "b", "q"}


@pytest.mark.parametrize("sql", [
    "SELECT id FROM lake.current_snapshot()",  # changes with every commit
    "SELECT * FROM read_parquet('x.parquet')",
    "SELECT * FROM other_db.main.t",
    "SELECT * FROM lake.other_schema.t",
    "BEGIN TRANSACTION",
    "SELEC 1",
])
def test_a_statement_that_reads_anything_but_lake_tables_has_no_table_list(sql):
    assert tables_read(sql) is None


def _lake(settings):
    con = connect(settings)
    con.execute("CREATE TABLE a (x INTEGER); CREATE TABLE b (y INTEGER)")
    return con


def test_each_table_keeps_its_version_until_a_commit_changes_it(any_catalog):
    writer, versions = _lake(any_catalog), TableVersions()
    ab = frozenset({"a", "b"})
    with connect(any_catalog, read_only=True) as reader:
        start = versions.of(reader, snapshot_id(reader), ab)
        writer.execute("INSERT INTO a VALUES (1)")
        after_a = versions.of(reader, snapshot_id(reader), ab)
        assert after_a[0] == start[0] and after_a[1][0] > start[1][0] and after_a[1][1] == start[1][1]
        writer.execute("DELETE FROM b")
        writer.execute("INSERT INTO b VALUES (2)")
        after_b = versions.of(reader, snapshot_id(reader), ab)
        assert after_b[1][0] == after_a[1][0] and after_b[1][1] > after_a[1][1]
        writer.execute("BEGIN; INSERT INTO a VALUES (3); INSERT INTO b VALUES (4); COMMIT")
        both = versions.of(reader, snapshot_id(reader), ab)
        assert both[1][0] > after_b[1][0] and both[1][1] > after_b[1][1]
        # Changes not tied to one table change every table's version.
        writer.execute("ALTER TABLE b ADD COLUMN z INTEGER")
        altered = versions.of(reader, snapshot_id(reader), frozenset({"a"}))
        assert altered == (both[0], (both[1][0],))  # altering b leaves a alone
        writer.execute("CREATE TABLE c (z INTEGER)")
        created = versions.of(reader, snapshot_id(reader), frozenset({"a", "c"}))
        assert created[0] > both[0]
        # The versions of an earlier snapshot are still told; a table that does not exist is not.
        assert versions.of(reader, snapshot_id(reader) - 1, ab) is not None
        assert versions.of(reader, snapshot_id(reader), frozenset({"a", "nowhere"})) is None
    writer.close()


def test_a_new_process_reads_the_whole_log_once(any_catalog):
    writer = _lake(any_catalog)
    for i in range(5):
        writer.execute("INSERT INTO a VALUES (?)", [i])
    writer.execute("INSERT INTO b VALUES (1)")
    with connect(any_catalog, read_only=True) as reader:
        now = snapshot_id(reader)
        assert TableVersions().of(reader, now, frozenset({"a", "b"}))[1] == (now - 1, now)
    writer.close()


def test_the_cache_keeps_a_result_until_a_table_it_read_changes(tmp_path):
    settings = make_settings(tmp_path)
    writer = _lake(settings)
    writer.execute("INSERT INTO a VALUES (1)")
    cache, runs = QueryCache(LakeReader(settings)), []

    def count_a(con) -> int:
        runs.append("a")
        return con.execute("SELECT count(*) FROM a WHERE x > ?", [0]).fetchone()[0]

    def newest_snapshot(con) -> int:
        runs.append("snapshot")
        return snapshot_id(con)

    assert cache.run(count_a) == 1 and cache.run(newest_snapshot) > 0
    assert cache.run(count_a) == 1 and runs == ["a", "snapshot"]
    writer.execute("INSERT INTO b VALUES (1)")  # a commit that does not touch a
    assert cache.run(count_a) == 1 and runs == ["a", "snapshot"]
    assert cache.run(newest_snapshot) == snapshot_id(writer) and runs == ["a", "snapshot", "snapshot"]
    writer.execute("INSERT INTO a VALUES (2)")
    assert cache.run(count_a) == 2 and runs[-1] == "a"
    writer.execute("ALTER TABLE a ADD COLUMN w INTEGER")
    assert cache.run(count_a) == 2 and runs.count("a") == 3
    writer.close()
