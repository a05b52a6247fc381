"""The benchmark suites' code: statistics, report writing, case loading and the measurements
themselves, importable and unit-tested. benchmarks/ keeps the YAML cases, the SQL, the kept results
and thin runners (`python -m benchmarks.<suite>.run`)."""
