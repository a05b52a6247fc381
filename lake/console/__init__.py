"""The lake's web console: today the read-only Kafka topic browser (Kafdrop's job), served by the
stack's topic-browser service (lake/stack/topic_browser.py; docs/dashboards.md)."""
