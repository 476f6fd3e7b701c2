"""Deterministic synthetic records of the government departments (demo, tests, benchmarks)."""
