"""Query functions: the only place that holds SQL for the dashboards.

Each takes a DuckDB cursor on the lake and a Scope, binds every user value as a
parameter, and returns a DataFrame.
"""
