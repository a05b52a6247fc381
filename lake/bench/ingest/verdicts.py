"""make bench-ingest's verdicts: the goals met or missed, and which Kafka client the measured
ratios pick."""
from __future__ import annotations

from lake.bench import stats
from lake.bench.ingest import cases, consumers, mqtt, producers, sink_drain


def goals(res: dict, case: cases.Case) -> list[dict]:
    g = case.common["goals"]
    prod, cons, lat = res.get("producer") or {}, res.get("consumer") or {}, res.get("latency") or {}
    limit = case.roll_seconds + case.common["latency"]["goal_slack_seconds"]
    p99 = lat.get("produce_to_visible_s", {}).get("p99") if lat else None
    mq = res.get("mqtt") or {}
    mq_rate = (mq.get("throughput") or {}).get("summary", {}).get(mqtt.BRIDGE, {}).get("records_per_s", {}).get("median")
    mq_p99 = (mq.get("latency") or {}).get("produce_to_visible_s", {}).get("p99")
    out = [
        stats.goal("producer: ours vs Kafka ProducerPerformance (records/s)",
                   prod.get("ratio_to_kafka", {}).get(producers.OURS), g["producer_ratio"], True, "ratio"),
        stats.goal("raw sink into HDFS vs Kafka ConsumerPerformance (records/s)",
                   cons.get("ratio_to_kafka", {}).get(sink_drain.NAME), g["sink_ratio"], True, "ratio"),
        stats.goal(f"latency produce → visible in HDFS, p99 (R = {case.roll_seconds:g} s)", p99, limit, False, "s"),
    ]
    if case.replay_stream_mib:
        out += [stats.goal(f"replay of a {case.replay_stream_mib} MiB pretty-printed array: peak RSS (MiB)",
                           (res.get("replay_stream") or {}).get("peak_rss_mib"), g["replay_stream_peak_rss_mib"], False,
                           "MiB")]
    if mq or "mqtt" in res.get("phases", ()):   # runs from before phase 4 have no MQTT goals
        out += [stats.goal("MQTT bridge throughput, sustained (tweets/s, median)", mq_rate,
                           g.get("mqtt_bridge_tweets_per_s", 5800), True, "tweets/s"),
                stats.goal(f"MQTT latency publish → visible in HDFS, p99 (R = {case.roll_seconds:g} s)", mq_p99,
                           limit, False, "s")]
    return out


def choice(res: dict) -> dict | None:
    """confluent-kafka or kafka-python, from the measured ratios (the design document names kafka-python)."""
    prod, cons = res.get("producer"), res.get("consumer")
    if not prod or not cons:
        return None
    ps, cs = prod["summary"], cons["summary"]
    p_ratio = stats.ratio(ps[producers.OURS]["records_per_s"]["median"],
                          ps[producers.KAFKA_PYTHON]["records_per_s"]["median"])
    c_ratio = stats.ratio(cs[consumers.CONFLUENT]["records_per_s"]["median"],
                          cs[consumers.KAFKA_PYTHON]["records_per_s"]["median"])
    kp_vs_kafka = prod["ratio_to_kafka"].get(producers.KAFKA_PYTHON)
    kpc_vs_kafka = cons["ratio_to_kafka"].get(consumers.KAFKA_PYTHON)
    goal = res["case"]["goals"]["producer_ratio"]
    facts = (f"Measured here, confluent-kafka produces {p_ratio:.1f}× and consumes {c_ratio:.1f}× the records/s of "
             f"kafka-python with the same settings. kafka-python reaches {kp_vs_kafka * 100:.0f}% of Kafka's "
             f"ProducerPerformance (the goal for our producer is {goal * 100:.0f}%) and its consumer "
             f"{kpc_vs_kafka * 100:.0f}% of ConsumerPerformance.")
    if p_ratio > 1 and c_ratio > 1:
        pick = "confluent-kafka"
        verdict = (" The lake keeps confluent-kafka for the producer and the raw sink, instead of the kafka-python "
                   "named in the design" + (": kafka-python alone would miss the producer goal." if kp_vs_kafka < goal
                                            else "."))
    elif p_ratio < 1 and c_ratio < 1:
        pick = "kafka-python"
        verdict = " kafka-python is faster on both sides here, as the design assumed: switching to it is supported."
    else:
        pick = "split"
        faster_producing = "confluent-kafka" if p_ratio > 1 else "kafka-python"
        faster_consuming = "confluent-kafka" if c_ratio > 1 else "kafka-python"
        verdict = (f" Here {faster_producing} is the faster producer and {faster_consuming} the faster consumer, so "
                   f"throughput alone does not decide; a larger SCALE gives steadier figures.")
    return {"pick": pick, "producer_confluent_over_kafka_python": p_ratio,
            "consumer_confluent_over_kafka_python": c_ratio, "text": facts + verdict}
