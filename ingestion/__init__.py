"""Pure-Python ingestion logic: turn tweet sources into keyed records for `tweets.raw`.

Nothing here talks to Kafka or HDFS; producers consume the `Record` / `Rejected`
items these modules yield, so the logic stays testable on tiny in-memory data.
See docs/ingestion.md for the record shapes, reason codes and distributions.
"""
