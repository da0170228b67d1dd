"""Ingestion benchmark: sensor readings through the real path (run_ingest) into a fresh lake.

    python -m bench.ingest --rows 10m [--csv-rows 1m] [--file-rows 10m] [--keep DIR] [--json]

Steps, each timed: register the sensors; load `--rows` readings from Parquet files of at
most `--file-rows` rows (time-ordered, as a feed delivers them); re-run the last file
(nothing new: recognised by its content hash); load one 5-minute increment (one reading
per sensor) and refresh the rollups; load that increment again from a file with other
bytes (nothing new: every row found already stored); load `--csv-rows` readings from one
CSV file into a second fresh lake. The last
line printed is one flat JSON object with every figure.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from shapely.geometry import shape

from ioc_app import geo
from ioc_app.config import Settings, load_settings
from ioc_app.lake import connect, ensure_schema
from pipelines import BatchReport, run_ingest

PROVINCE = "86"
START = np.datetime64("2025-01-01T00:00:00", "us")
STEP = np.timedelta64(5, "m")
_SUFFIXES = {"k": 1_000, "m": 1_000_000}


def parse_count(text: str) -> int:
    """'10m' -> 10_000_000, '500k' -> 500_000, '1234' -> 1234."""
    text = text.strip().lower().replace("_", "")
    factor = _SUFFIXES.get(text[-1:], 1)
    number = text[:-1] if text[-1:] in _SUFFIXES else text
    try:
        value = int(float(number) * factor)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a row count: {text!r} (e.g. 1m, 500k, 10m)") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"row count must be positive: {text!r}")
    return value


@dataclass(frozen=True)
class Fleet:
    """The benchmark's sensors: ids and registry rows placed inside the province's communes."""

    ids: np.ndarray

    @classmethod
    def build(cls, count: int) -> Fleet:
        return cls(np.array([f"BENCH-{i:05d}" for i in range(count)], dtype=object))

    def registry(self, path: Path) -> Path:
        features = geo.boundaries(PROVINCE)["features"]
        points = [shape(feature["geometry"]).representative_point() for feature in features]
        rows = []
        for i, sensor_id in enumerate(self.ids):
            feature, point = features[i % len(features)], points[i % len(points)]
            rows.append({"sensor_id": sensor_id, "name": f"Trạm {i}", "kind": "salinity", "unit": "g/L",
                         "threshold": 4.0, "lat": point.y, "lon": point.x, "area_code": feature["id"]})
        pacsv.write_csv(pa.Table.from_pylist(rows), path)
        return path

    def readings(self, first_step: int, rows: int) -> pa.Table:
        """`rows` readings from step `first_step` on: every sensor at each 5-minute step, time-major."""
        sensors = len(self.ids)
        index = np.arange(rows, dtype=np.int64)
        step = first_step + index // sensors
        observed_at = START + step * STEP
        values = np.round(2.0 + np.sin(step / 288.0) + (index % sensors) / sensors, 3)
        ids = pa.array(self.ids).take(pa.array(index % sensors))
        return pa.table({"sensor_id": ids, "observed_at": pa.array(observed_at, pa.timestamp("us")),
                         "value": pa.array(values)})


def _settings(folder: Path) -> Settings:
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.yaml"
    config.write_text(f"province: '{PROVINCE}'\ndata_dir: data\ndatabase_url: sqlite:///data/ioc.db\n"
                      "lake:\n  catalog: sqlite:data/lake/catalog.sqlite\n  data_path: data/lake/files\n",
                      encoding="utf-8")
    return load_settings(config)


def _timed(settings: Settings, con: duckdb.DuckDBPyConnection, kind: str, path: Path) -> tuple[float, BatchReport]:
    started = time.perf_counter()
    report = run_ingest(settings, kind, path, con=con)
    return time.perf_counter() - started, report


def _prepare_lake(settings: Settings, fleet: Fleet, folder: Path) -> duckdb.DuckDBPyConnection:
    con = connect(settings)
    ensure_schema(con)
    run_ingest(settings, "areas", None, con=con)
    report = run_ingest(settings, "sensors", fleet.registry(folder / "sensors.csv"), con=con)
    if report.loaded != len(fleet.ids):
        raise RuntimeError(f"sensor registry: {report.loaded} of {len(fleet.ids)} loaded ({report.reasons})")
    return con


def _check(report: BatchReport, expected: int, what: str) -> None:
    if report.loaded != expected or report.quarantined:
        raise RuntimeError(f"{what}: loaded {report.loaded} of {expected}, quarantined {report.reasons}")


def bench_parquet(args: argparse.Namespace, fleet: Fleet, work: Path) -> dict[str, float | int]:
    settings = _settings(work / "parquet")
    con = _prepare_lake(settings, fleet, work / "parquet")
    sensors = len(fleet.ids)
    load_seconds = 0.0
    done = 0
    last_file = None
    while done < args.rows:
        rows = min(args.file_rows, args.rows - done)
        last_file = work / f"readings_{done // sensors:09d}.parquet"
        pq.write_table(fleet.readings(done // sensors, rows), last_file, compression="zstd")
        seconds, report = _timed(settings, con, "sensors", last_file)
        _check(report, rows, last_file.name)
        load_seconds += seconds
        done += rows
        if done < args.rows:
            last_file.unlink()
        logging.info("bench: %s of %s rows loaded (%.1f s so far)", f"{done:,}", f"{args.rows:,}", load_seconds)
    rerun_seconds, rerun = _timed(settings, con, "sensors", last_file)
    if not rerun.unchanged:
        raise RuntimeError("re-run of an already loaded file was not recognised as unchanged")
    increment = work / "increment.parquet"
    pq.write_table(fleet.readings(-(-args.rows // sensors), sensors), increment, compression="zstd")
    increment_seconds, report = _timed(settings, con, "sensors", increment)
    _check(report, sensors, "increment")
    resent = work / "increment_resent.parquet"  # the same readings again, in a file with other bytes
    pq.write_table(fleet.readings(-(-args.rows // sensors), sensors), resent, compression="snappy")
    resent_seconds, report = _timed(settings, con, "sensors", resent)
    _check(report, 0, "re-sent increment")
    hourly = con.execute("SELECT count(*) FROM lake.main.agg_sensor_hourly").fetchone()[0]
    con.close()
    return {"parquet_rows": args.rows, "parquet_seconds": round(load_seconds, 2),
            "parquet_rows_per_s": round(args.rows / load_seconds),
            "rerun_seconds": round(rerun_seconds, 3), "increment_rows": sensors,
            "increment_seconds": round(increment_seconds, 3), "resent_increment_seconds": round(resent_seconds, 3),
            "hourly_rollup_rows": int(hourly)}


def bench_csv(args: argparse.Namespace, fleet: Fleet, work: Path) -> dict[str, float | int]:
    settings = _settings(work / "csv")
    con = _prepare_lake(settings, fleet, work / "csv")
    path = work / "readings.csv"
    pacsv.write_csv(fleet.readings(0, args.csv_rows), path)
    seconds, report = _timed(settings, con, "sensors", path)
    _check(report, args.csv_rows, path.name)
    con.close()
    path.unlink()
    return {"csv_rows": args.csv_rows, "csv_seconds": round(seconds, 2), "csv_rows_per_s": round(args.csv_rows / seconds)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=parse_count, default=parse_count("1m"), help="Parquet readings (e.g. 10m)")
    parser.add_argument("--csv-rows", type=parse_count, default=None, help="CSV readings (default: min(rows, 1m))")
    parser.add_argument("--file-rows", type=parse_count, default=parse_count("10m"), help="rows per Parquet file")
    parser.add_argument("--sensors", type=int, default=1000, help="sensors in the registry")
    parser.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it")
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args(argv)
    args.csv_rows = args.csv_rows or min(args.rows, parse_count("1m"))
    if args.file_rows % args.sensors:
        parser.error(f"--file-rows must be a multiple of --sensors ({args.sensors}): a file holds whole 5-minute rounds")
    logging.basicConfig(level=logging.WARNING if args.json else logging.INFO,
                        format="%(asctime)s %(name)s %(message)s")
    work = args.keep or Path(tempfile.mkdtemp(prefix="ioc-bench-"))
    fleet = Fleet.build(args.sensors)
    try:
        result: dict[str, object] = {"date": datetime.now().strftime("%Y-%m-%d %H:%M"),
                                     "cpus": os.cpu_count(), "machine": platform.machine(),
                                     "duckdb": duckdb.__version__, "sensors": args.sensors}
        result.update(bench_parquet(args, fleet, work))
        result.update(bench_csv(args, fleet, work))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
