"""The snapshot at which each lake table last changed, read from the catalog's own change log.

Every DuckLake commit writes one row of `ducklake_snapshot_changes` (DuckLake specification),
for example `inserted_into_table:12,deleted_from_table:12`. A sensor feed commits every few
minutes; with this log the query cache keeps the indicator and ticket results that such a
commit did not touch (ioc_app.web.query_cache). A change not tied to one table (a table or
schema created, a view, anything this module does not know) counts as a change of every table.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

import duckdb

from ioc_app.lake.connection import LAKE

_META = f"__ducklake_metadata_{LAKE}"
# Entries naming one table by its id; any other entry changes the whole lake.
_TABLE_CHANGES = {"inserted_into_table", "deleted_from_table", "compacted_table", "altered_table",
                  "dropped_table", "inlined_insert", "inlined_delete", "flushed_inlined"}

Versions = tuple[int, tuple[int, ...]]
_KEPT = 16  # recent snapshots whose versions are kept, for requests still reading one of them


class TableVersions:
    """Per process: each table's newest change at the recent snapshots, read incrementally."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._upto: int | None = None  # the newest snapshot read, always among the recent ones
        # snapshot -> (newest snapshot with a change of the whole lake, each table's newest change)
        self._recent: OrderedDict[int, tuple[int, dict[str, int]]] = OrderedDict()

    def of(self, cur: duckdb.DuckDBPyConnection, snapshot: int, tables: frozenset[str]) -> Versions | None:
        """The versions of `tables` at `snapshot`; None when they cannot be told (a snapshot older than
        the recent ones, or a name that is no table of the lake then)."""
        with self._lock:
            if self._upto is None or snapshot > self._upto:
                self._read(cur, snapshot)
            found = self._recent.get(snapshot)
        if found is None or not tables <= found[1].keys():
            return None
        whole_lake, changed = found
        return whole_lake, tuple(changed[name] for name in sorted(tables))

    def _read(self, cur: duckdb.DuckDBPyConnection, snapshot: int) -> None:
        since = -1 if self._upto is None else self._upto
        names = dict(cur.execute(f"""
            SELECT table_id, table_name FROM {_META}.ducklake_table
            WHERE begin_snapshot <= ? AND (end_snapshot IS NULL OR end_snapshot > ?)""",
                                 [snapshot, snapshot]).fetchall())
        changes = cur.execute(f"""
            SELECT snapshot_id, changes_made FROM {_META}.ducklake_snapshot_changes
            WHERE snapshot_id > ? AND snapshot_id <= ? ORDER BY snapshot_id""", [since, snapshot]).fetchall()
        whole_lake, before = (0, {}) if self._upto is None else self._recent[self._upto]
        changed = {name: before.get(name, whole_lake) for name in names.values()}
        for snapshot_id, made in changes:
            for entry in (made or "").split(","):
                verb, _, value = entry.partition(":")
                if verb in _TABLE_CHANGES and value.isdigit() and int(value) in names:
                    changed[names[int(value)]] = snapshot_id
                else:
                    whole_lake = snapshot_id
        self._upto = snapshot
        self._recent[snapshot] = (whole_lake, changed)
        while len(self._recent) > _KEPT:
            self._recent.popitem(last=False)
