"""Benchmark suites (`make bench-ingest`); results go to benchmarks/results/ (git-ignored)."""
