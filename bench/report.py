"""docs/performance.md: one section per scale, replaced by each run of `python -m bench`."""
from __future__ import annotations

import json
import os
import platform
import re
from pathlib import Path

import duckdb

from bench.install import REPO

DOC = REPO / "docs" / "performance.md"
# figure -> (label, target, True when lower is better)
HEADLINES = (
    ("callback_p95_ms", "every callback pooled, 1 user, p95 ms", "≤ 150"),
    ("callback_worst_p95_ms", "slowest callback, 1 user, p95 ms", "≤ 150"),
    ("users50_callback_p95_ms", "50 users at 1 request/s each, p95 ms", "≤ 300"),
    ("ratio_callback_p95_vs_1m", "p95 at this scale / p95 at 1m", "≤ 1.5"),
    ("wall_ready_p95_ms", "wall page until its first chart, p95 ms", "≤ 1500"),
    ("login_p95_ms", "sign-in POST, p95 ms", ""),
    ("worker_rss_mb", "gunicorn worker RSS after the run, MB", "< 500"),
    ("worker_pss_mb", "gunicorn worker PSS after the run, MB", "< 500"),
    ("floor_p95_ms", "engine floor (the callbacks' queries on DuckDB), pooled p95 ms", ""),
    ("ratio_product_floor", "product p95 / floor p95", ""),
    ("naive_worker_rss_mb", "naive pandas app: worker RSS, MB", ""),
    ("naive_load_seconds", "naive pandas app: seconds until its workers have loaded", ""),
    ("ingest_parquet_rows_per_s", "Parquet readings into a fresh lake, rows/s", "≥ 1M"),
    ("ingest_csv_rows_per_s", "CSV readings into a fresh lake, rows/s", "≥ 200k"),
    ("snapshot_commit_p95_ms", "5-minute increment committed while serving, p95 ms", ""),
)


def machine() -> dict:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        model = found.group(1).strip() if found else ""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"machine": f"{model or platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GB RAM",
            "cpus": os.cpu_count(), "python": platform.python_version(), "duckdb": duckdb.__version__}


def _row(cells: list) -> str:
    return "| " + " | ".join("" if c is None else str(c) for c in cells) + " |"


def section(figures: dict) -> str:
    scale = figures["scale"]
    lines = [
        f"<!-- bench:{scale} -->",
        f"### Scale {scale}: {figures['readings']:,} readings, {figures['tickets']:,} tickets, "
        f"{figures['cameras']:,} cameras, {figures['sensors']:,} sensors",
        "",
        f"Run {figures['date']} on {figures['machine']} (Python {figures['python']}, DuckDB {figures['duckdb']}); "
        f"1-minute load average during the run: mean {figures['load_avg_mean']}, max {figures['load_avg_max']} "
        "(the machine is shared: figures under load are pessimistic). "
        f"`python -m bench --scale {scale}` took {figures.get('bench_minutes')} min.",
        "",
        _row(["figure", "value", "target"]),
        _row(["---", "---:", "---"]),
    ]
    users = next((k.split("_")[0] for k in figures if re.match(r"users\d+_callback_p95_ms", k)), "users50")
    for key, label, target in HEADLINES:
        key = key.replace("users50", users)
        if figures.get(key) is not None:
            lines.append(_row([label.replace("50 users", f"{users[5:]} users"), figures[key], target]))
    lines += ["", f"Slowest callback: `{figures.get('callback_worst')}`.", "",
              _row(["callback (page__outputs)", "p50 ms", "p95 ms", "p99 ms", "floor p95 ms", "product / floor"]),
              _row(["---", "---:", "---:", "---:", "---:", "---:"])]
    names = sorted({k[len("callback_"):-len("_p95_ms")] for k in figures
                    if k.startswith("callback_") and k.endswith("_p95_ms") and "__" in k})
    for name in names:
        lines.append(_row([f"`{name}`", figures.get(f"callback_{name}_p50_ms"), figures.get(f"callback_{name}_p95_ms"),
                           figures.get(f"callback_{name}_p99_ms"), figures.get(f"floor_{name}_p95_ms"),
                           figures.get(f"ratio_{name}_product_floor")]))
    naive = sorted({k[len("naive_"):-len("_p95_ms")] for k in figures if k.startswith("naive_") and k.endswith("_p95_ms")})
    if naive:
        lines += ["", _row(["naive pandas answer", "p95 ms", "product callback with the same answer", "p95 ms",
                            "naive / product"]), _row(["---", "---:", "---", "---:", "---:"])]
        for name in naive:
            callback = figures.get(f"naive_{name}_product_callback")
            lines.append(_row([name, figures[f"naive_{name}_p95_ms"], f"`{callback}`" if callback else "",
                               figures.get(f"callback_{callback}_p95_ms"), figures.get(f"ratio_naive_product_{name}")]))
    ingest = sorted(k for k in figures if re.match(r"ingest_[a-z]+_[a-z]+_rows_per_s$", k))
    if ingest:
        lines += ["", "Ingestion of the province-year's sources (`run_ingest`, one batch per file), rows/s by "
                  "kind and format: " + ", ".join(f"{k[7:-11]} {figures[k]:,}" for k in ingest) + "."]
    lines += ["", "<details><summary>All figures (the JSON line)</summary>", "", "```json",
              json.dumps(figures, ensure_ascii=False), "```", "", "</details>", f"<!-- /bench:{scale} -->"]
    return "\n".join(lines)


def write_report(figures: dict, doc: Path = DOC) -> None:
    """Replace this scale's section of docs/performance.md (or append it)."""
    text = doc.read_text(encoding="utf-8")
    scale = figures["scale"]
    block = re.compile(rf"<!-- bench:{re.escape(scale)} -->.*?<!-- /bench:{re.escape(scale)} -->", re.S)
    new = section(figures)
    text = block.sub(lambda _: new, text) if block.search(text) else text.rstrip("\n") + "\n\n" + new + "\n"
    doc.write_text(text, encoding="utf-8")
