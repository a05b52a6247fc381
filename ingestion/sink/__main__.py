"""`python -m ingestion.sink`: the raw sink (ingestion/sink/raw_sink.py)."""
from ingestion.sink.raw_sink import main

raise SystemExit(main())
