"""The MQTT -> Kafka bridge (`python -m ingestion.mqtt_bridge`, the stack's `mqtt-bridge` service):
MQTT topics tweets/<source> into tweets.raw, each message acknowledged only once Kafka has it."""
