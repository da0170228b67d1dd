"""Benchmarks run by hand (never by the test suite); see docs/performance.md."""
