"""Realistic demo source files for the configured province, in the formats the pipelines ingest."""
from ioc_app.demo.build import build_demo_sources

__all__ = ["build_demo_sources"]
