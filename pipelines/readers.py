"""Read a source file into a DataFrame, whatever its format; `_row` is the row number in the file."""
from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pandas as pd

from ioc_app.errors import SourceError

ROW = "_row"
EXCEL_SHEET = "data"
log = logging.getLogger("ioc.pipelines")


def _csv(path: Path) -> tuple[pd.DataFrame, int]:
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", skipinitialspace=True)
    return table, 2  # header is line 1


def _jsonl(path: Path) -> tuple[pd.DataFrame, int]:
    records = []
    with path.open(encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise SourceError(f"{path}: line {number} is not valid JSON ({exc.msg})") from None
                if not isinstance(record, dict):
                    raise SourceError(f"{path}: line {number} is not a JSON object")
                records.append({**record, ROW: number})
    return pd.DataFrame.from_records(records), 0


def _json(path: Path) -> tuple[pd.DataFrame, int]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise SourceError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        data = data["data"]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise SourceError(f"{path}: expected a JSON list of objects")
    return pd.DataFrame.from_records(data), 1


def _parquet(path: Path) -> tuple[pd.DataFrame, int]:
    return pd.read_parquet(path), 1


def _excel(path: Path) -> tuple[pd.DataFrame, int]:
    try:
        table = pd.read_excel(path, sheet_name=EXCEL_SHEET, dtype=object, engine="openpyxl")
    except ValueError as exc:
        if "not found" in str(exc).lower():
            raise SourceError(f"{path}: no sheet named {EXCEL_SHEET!r} (put the table in a sheet called "
                              f"{EXCEL_SHEET!r}, header in row 1)") from None
        raise
    return table, 2  # header is row 1


READERS = {".csv": _csv, ".jsonl": _jsonl, ".ndjson": _jsonl, ".json": _json, ".parquet": _parquet, ".xlsx": _excel}


def read_source(path: Path) -> pd.DataFrame:
    """All rows of the file with normalised (stripped, lower-case) column names and a `_row` column."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise SourceError(f"{path}: unsupported file type {path.suffix!r} (use {', '.join(sorted(READERS))})")
    if not path.is_file():
        raise SourceError(f"{path}: file not found")
    started = time.perf_counter()
    try:
        table, first_row = reader(path)
    except SourceError:
        raise
    except (OSError, ValueError, UnicodeDecodeError, ImportError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceError(f"{path}: cannot read the file ({detail})") from None
    table.columns = [str(column).strip().lower() for column in table.columns]
    if first_row:
        table[ROW] = range(first_row, first_row + len(table))
    log.info("%s: %d rows parsed in %.2f s", path.name, len(table), time.perf_counter() - started)
    return table.reset_index(drop=True)


def require_columns(table: pd.DataFrame, path: Path | str, required: list[str] | tuple[str, ...]) -> None:
    """Raise SourceError naming the file and every required column it lacks."""
    missing = [column for column in required if column not in table.columns]
    if missing:
        names = ", ".join(missing)
        raise SourceError(f"{path}: missing required column{'s' if len(missing) > 1 else ''} {names}")
