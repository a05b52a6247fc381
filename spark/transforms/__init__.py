"""Row-level transforms shared by the batch jobs (spark/jobs) and a later streaming
speed layer: pure functions over one payload plus its ingest metadata."""
