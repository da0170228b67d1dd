"""Ingestion pipelines: the only writers of the analytical store."""
from pipelines.batch import BatchReport
from pipelines.ingest import KINDS, run_ingest

__all__ = ["KINDS", "BatchReport", "run_ingest"]
