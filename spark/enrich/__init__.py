"""Silver-layer enrichment as plain Python (no Spark import): sentiment and geo resolution.

The Spark job wraps these functions in UDFs; see docs/enrichment.md.
"""
