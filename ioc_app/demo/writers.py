"""Byte-reproducible writers: fixed compression, fixed zip timestamps, no wall-clock metadata."""
from __future__ import annotations

import io
import json
import math
import re
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

_FIXED_ZIP_TIME = (2025, 1, 1, 0, 0, 0)
_FIXED_DOC_TIME = datetime(2025, 1, 1)
_CORE_TIMES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def _ready(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(_ready(path), index=False, encoding="utf-8", lineterminator="\n")
    return path


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    pq.write_table(table, _ready(path), compression="zstd", compression_level=3,
                   write_statistics=True, use_dictionary=True)
    return path


def _json_value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if hasattr(value, "item"):
        return value.item()
    return value


def write_jsonl(frame: pd.DataFrame, path: Path) -> Path:
    columns = list(frame.columns)
    with _ready(path).open("w", encoding="utf-8", newline="\n") as out:
        for row in frame.itertuples(index=False, name=None):
            record = {col: _json_value(val) for col, val in zip(columns, row)}
            out.write(json.dumps({k: v for k, v in record.items() if v is not None}, ensure_ascii=False) + "\n")
    return path


def write_json(data: Any, path: Path) -> Path:
    _ready(path).write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def write_xlsx(frame: pd.DataFrame, path: Path, sheet: str = "data") -> Path:
    """One sheet, header in row 1; openpyxl stamps the time twice, both are pinned here."""
    workbook = Workbook(write_only=True)
    workbook.properties.creator = "IOC demo"
    workbook.properties.created = _FIXED_DOC_TIME
    worksheet = workbook.create_sheet(sheet)
    worksheet.append(list(frame.columns))
    for row in frame.itertuples(index=False, name=None):
        worksheet.append([_cell(value) for value in row])
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()
    _ready(path).write_bytes(_pin_zip(raw.getvalue()))
    return path


def _cell(value: Any) -> Any:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item"):
        return value.item()
    return value


def _pin_zip(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "docProps/core.xml":
                content = _CORE_TIMES.sub(rb"\g<1>2025-01-01T00:00:00Z\g<3>", content)
            info = zipfile.ZipInfo(item.filename, date_time=_FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, content)
    return out.getvalue()
