"""Pulls from HTTP services (Open311 GeoReport v2 tickets, OGC SensorThings sensors).

Each pull asks the service for what changed since its source's watermark (minus a safety
overlap), maps the answer to the columns of the kind's loader and ingests it with
pipelines.ingest.ingest_table: one transaction with the data and the moved watermark.
"""
