"""Where tweets come from: synthetic (a seeded #Santander firehose), replay (v1.1/v2 files) and the X API,
each yielding `Record` / `Rejected` items (ingestion/records.py) for the producer; pacing sets a rate."""
