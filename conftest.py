# Repo root on sys.path, so tests import `lake` and `ingestion` as the CLI does.
