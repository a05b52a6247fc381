"""make bench-ingest's report.md, rendered from results.json (lake.bench.report writes them and the latest link)."""
from __future__ import annotations

from pathlib import Path

from lake.bench import stats
from lake.bench.report import write_report, write_results
from lake.bench.ingest import consumers, hdfs_put, producers, sink_drain


HDFS_LEFT = {True: "still there", False: "gone"}


def _n(x, digits: int = 0) -> str:
    if x is None:
        return "–"
    return f"{x:,.{digits}f}"


def _pct(x) -> str:
    return "–" if x is None else f"{x * 100:.0f}%"


def _med(runs: list[dict], key: str) -> float:
    values = [r[key] for r in runs if r.get(key) is not None]
    return stats.median(values) if values else float("nan")


def _phase_load(m: dict) -> str:
    by_phase = m.get("load_average_by_phase")
    if not by_phase:
        return ""
    parts = [f"{name} {v['before'][0]:.2f} → {v['after'][0]:.2f}" for name, v in by_phase.items() if "after" in v]
    return f" 1-minute load before → after each phase: {', '.join(parts)}." if parts else ""


def _verdict(g: dict) -> str:
    return "**met**" if g["met"] else "**missed**"


def goal_measured(g: dict) -> str:
    if g["measured"] is None:
        return "not measured"
    if g["unit"] == "ratio":
        return _pct(g["measured"])
    return f"{g['measured']:.2f} {g['unit']}"


def goal_target(g: dict) -> str:
    if g["unit"] == "ratio":
        return f"{g['comparison']} {_pct(g['target'])}"
    return f"{g['comparison']} {g['target']:g} {g['unit']}"


def _throughput_table(section: dict, reference: str, first_col: str) -> list[str]:
    ref = reference.split(" (")[0]
    rows = [f"| {first_col} | records/s (median) | records/s (min – max) | MiB/s (median) | vs {ref} |",
            "|---|---:|---:|---:|---:|"]
    for name, s in section.get("summary", {}).items():
        r = s["records_per_s"]
        rows.append(f"| {name} | {_n(r['median'])} | {_n(r['min'])} – {_n(r['max'])} | "
                    f"{_n(s['mib_per_s']['median'], 1)} | {_pct(section['ratio_to_kafka'].get(name))} |")
    return rows


def _mib(nbytes: int) -> str:
    return f"{nbytes / 2**20:g}"


def hdfs_ceiling(cons: dict, goal: float) -> list[str]:
    """The sink against HDFS's own write rate on this host (benchmarks/ingest/hdfs_put.py)."""
    put = cons["summary"].get(hdfs_put.NAME)
    sink = cons["summary"].get(sink_drain.NAME)
    if not put or not sink:
        errors = cons.get("hdfs_put_errors")
        return ["", f"No HDFS ceiling this run: {errors[-1]}"] if errors else []
    put_rate, put_share = put["records_per_s"]["median"], cons["ratio_to_kafka"].get(hdfs_put.NAME)
    text = (f"Ceiling: Hadoop's own client (FsShell -put, Java, no Kafka) wrote the same bytes into HDFS at "
            f"{_n(put_rate)} records/s ({_n(put['mib_per_s']['median'], 1)} MiB/s; median of marginal rates, JVM "
            f"start excluded), {_pct(put_share)} of ConsumerPerformance. The sink, which also reads them from Kafka "
            f"on the same cores, landed them at {_pct(stats.ratio(sink['records_per_s']['median'], put_rate))} of "
            f"HDFS's own rate.")
    if put_share is not None and put_share < goal:
        text += (f" HDFS alone stays below the sink goal ({_pct(goal)} of ConsumerPerformance) on this host, so no "
                 f"sink, in any language, could meet it here.")
    return ["", text]


def sink_cpu(sink_runs: list[dict]) -> list[str]:
    """The sink process's CPU from its first assignment to its stop (ingestion/sink/proc_cpu.py), median of the runs."""
    runs = [r for r in sink_runs if r.get("sink_cpu")]
    if not runs:
        return []
    med = stats.median

    def group(key: str, name: str) -> float:
        return med([r["sink_cpu"]["threads"].get(name, {}).get(key, 0.0) for r in runs])

    def rdk(key: str) -> float:
        return med([sum(g[key] for n, g in r["sink_cpu"]["threads"].items() if n.startswith("rdk:")) for r in runs])

    drain = med([r["seconds"] for r in runs])
    main_cpu, main_wait = group("cpu_s", "main"), group("runq_wait_s", "main")
    text = (f"The sink's CPU from its first assignment to its stop (Linux /proc, median of {len(runs)} timed runs; "
            f"the drain itself took {drain:.2f} s): {med([r['sink_cpu']['process_cpu_s'] for r in runs]):.2f} s in "
            f"all. Its main thread (consuming, the record check, buffering) was on a CPU for {main_cpu:.2f} s and "
            f"runnable but waiting for a core for {main_wait:.2f} s; librdkafka's threads (fetching, zstd) used "
            f"{rdk('cpu_s'):.2f} s and waited {rdk('runq_wait_s'):.2f} s; the other Python threads still alive at "
            f"the stop (HDFS uploads and rolls end with their roll, and count only in the total) "
            f"{group('cpu_s', 'python threads'):.2f} s.")
    if main_wait >= 0.2 * drain:
        text += (f" Waiting for a core took {main_wait / drain:.0%} of the drain's time from the main thread: "
                 f"the host's cores were all busy (the DataNode and the broker run "
                 f"beside the sink), so the rate is bounded by the host's CPU, not by the sink waiting on Kafka or HDFS.")
    return ["", text]


def _runs_table(runs: list[dict]) -> list[str]:
    rows = ["| round | client | timed | records | seconds | records/s | MiB/s |", "|---:|---|---|---:|---:|---:|---:|"]
    for r in runs:
        rows.append(f"| {r['round']} | {r['client']} | {'warm-up' if r['warmup'] else 'yes'} | {_n(r['records'])} | "
                    f"{_n(r['seconds'], 2)} | {_n(r['records_per_s'])} | {_n(r['mib_per_s'], 1)} |")
    return rows


def render(res: dict) -> str:
    m, case = res["machine"], res["case"]
    lv = m.get("lake_versions", {})
    out = [f"# Ingestion benchmark, {res['started_utc'][:10]} (SCALE={res['scale']})", "",
           f"`{res['command']}` — started {res['started_utc']}, finished {res.get('finished_utc', '?')} "
           f"({_n(res.get('wall_seconds'))} s wall).", "",
           f"Machine: {m['nproc']} cores ({m.get('cpu_model') or 'unknown CPU'}), {m['memory_total_gib']} GiB RAM, "
           f"load average (1/5/15 min) before {m.get('load_average_before')} and after {m.get('load_average_after')}. "
           f"The whole stack (HDFS, YARN, Hive metastore, Kafka, Spark Thrift Server, Trino, the stack's raw sink) "
           f"runs on the same host.{_phase_load(m)}", "",
           f"Versions: Kafka {lv.get('maven', {}).get('kafka')} (broker and perf tools), {m.get('java')}, "
           f"Python {m['python']}, confluent-kafka {m['client_libraries']['confluent-kafka']} "
           f"(librdkafka {m['client_libraries']['librdkafka']}), kafka-python {m['client_libraries']['kafka-python']}, "
           f"Hadoop {lv.get('maven', {}).get('hadoop')}.", ""]
    if res.get("error"):
        out += [f"> **The run failed:** `{res['error'].strip().splitlines()[-1]}` — figures below are what finished "
                f"before it; the traceback is in results.json.", ""]

    out += ["## Goals (issue #3, performance)", "", "| goal | target | measured | verdict |", "|---|---|---|---|"]
    for g in res.get("goals", []):
        out.append(f"| {g['name']} | {goal_target(g)} | {goal_measured(g)} | {_verdict(g)} |")
    out.append("")

    pay = res.get("payloads", {})
    gen, pf = pay.get("generated", {}), pay.get("payload_file", {})
    prod = res.get("producer")
    if prod:
        out += [f"## 1. Producer throughput — {_n(prod['records_per_run'])} records per run, "
                f"{case['runs']} timed run(s) after {case['warmup_runs']} warm-up round(s)", "",
                f"Payloads: synthetic v2 tweets (seed {case['seed']}), mean {_n(gen.get('mean_bytes'))} B "
                f"(median {_n(gen.get('median_bytes'))}, {_n(gen.get('min_bytes'))} – {_n(gen.get('max_bytes'))}). "
                f"ProducerPerformance gets `--payload-file` with {_n(pf.get('records'))} of the same payloads "
                f"(mean {_n(pf.get('mean_bytes'))} B) and picks one at random per record. Settings for all three: "
                f"acks=all, idempotence on, zstd, linger 20 ms, batch 1,000,000 B, max request 2 MiB; "
                f"topic settings from `topics.SPECS['tweets.raw']` (4 partitions). Timed: send + flush only.", ""]
        out += _throughput_table(prod, producers.KAFKA_TOOL, "producer")
        out += ["", "Ours and kafka-python also send the tweet id as key and the lake's four headers "
                "(source, format, ingest_time, origin); Kafka's tool sends values only. MiB/s counts values.", ""]

    cons = res.get("consumer")
    if cons:
        out += [f"## 2. Raw sink throughput — drain {_n(cons['records'])} records "
                f"({_n(cons['value_bytes'] / 2**20, 1)} MiB of values) from offset 0", "",
                f"Sink: `python -m ingestion.sink` with its own group and HDFS dir, `--roll-seconds "
                f"{case['sink']['roll_seconds']:g} --roll-mb {case['sink']['roll_mb']:g} --no-register`; timed from "
                f"its first partition assignment (its log) until its committed offsets reach the high watermarks "
                f"(files renamed into place). The readers without HDFS are timed from assignment to the last "
                f"record (ConsumerPerformance: its fetch.* figures, which leave out the group join). All use the "
                f"sink's fetch sizes (fetch.max.bytes {_mib(case['consumer']['fetch_max_bytes'])} MiB, "
                f"max.partition.fetch.bytes {_mib(case['consumer']['max_partition_fetch_bytes'])} MiB)"
                + (f"; the two librdkafka readers (the sink and the bare confluent-kafka consumer) also its local "
                   f"queue of {_mib(case['consumer']['queued_max_messages_kbytes'] * 1024)} MiB"
                   if "queued_max_messages_kbytes" in case["consumer"] else "") + ".", ""]
        out += _throughput_table(cons, consumers.KAFKA_TOOL, "reader")
        out += hdfs_ceiling(cons, case["goals"]["sink_ratio"])
        sink_runs = [r for r in cons["runs"] if r["client"] == sink_drain.NAME and not r["warmup"]]
        if sink_runs:
            r0 = sink_runs[0]
            landed = ", ".join(_n(r["launch_to_landed_seconds"], 1) for r in sink_runs)
            assigned = ", ".join(_n(r["launch_to_assigned_seconds"], 1) for r in sink_runs)
            out += ["", f"Sink, per timed run: launch → landed {landed} s (of which launch → assignment {assigned} s); "
                    f"{r0['sink_files']} files in {r0['sink_rolls']} rolls; the sink counted "
                    f"{_n(r0['sink_records'])} landed and {_n(r0['sink_rejected'])} rejected records "
                    f"(expected {_n(cons['records'])} and 0).", "",
                    "Where the sink's time went (its log; median of the timed runs): the first roll started "
                    f"{_med(sink_runs, 'first_roll_after_assignment_seconds'):.1f} s after assignment (a partition "
                    f"rolls once its buffer holds {case['sink']['roll_mb']:g} MiB or is R = "
                    f"{case['sink']['roll_seconds']:g} s old, or once the sink has read to the partition's end and "
                    f"its oldest record was produced R ago); "
                    f"{_med(sink_runs, 'sink_rolls'):.0f} rolls took {_med(sink_runs, 'rolling_seconds'):.1f} s "
                    f"added up (median {_med(sink_runs, 'roll_seconds_median'):.2f} s, longest "
                    f"{_med(sink_runs, 'roll_seconds_max'):.2f} s) and "
                    f"{_n(_med(sink_runs, 'rolling_wall_seconds'), 1)} s of wall time: rolls of different "
                    f"partitions run at once, in worker threads, while the sink goes on consuming."]
            out += sink_cpu(sink_runs)
        probe = cons.get("hdfs_small_write_s")
        if probe:
            out += ["", f"Context: a 1 KiB WebHDFS create on this HDFS takes median {probe['median']:.3f} s, "
                    f"max {probe['max']:.3f} s ({probe['n']} writes, {probe['slow']} of them ≥ 0.3 s). "
                    f"A roll writes one file per ingest hour (and per reject date) of its partition, then renames."]
        retries = res.get("hdfs_close_retries")
        if retries and retries.get("file_closes"):
            out += ["", f"NameNode log: {retries['closes_retried']} of the run's {retries['file_closes']} "
                    f"HDFS file closes were answered \"COMMITTED but not COMPLETE\" (the DataNode had not yet "
                    f"reported the block); the writer retries completeFile after "
                    f"dfs.client.block.write.locateFollowingBlock.initial.delay.ms (hdfs-site.xml: "
                    f"{_hdfs_site('dfs.client.block.write.locateFollowingBlock.initial.delay.ms', '400')} ms; "
                    f"Hadoop's default 400 ms)."]
        check = cons.get("sink_check_payload_only")
        if check:
            out += ["", f"The sink's per-record check alone (`check_payload`: UTF-8 and JSON-object grammar, no object built) "
                    f"runs at {_n(check['records_per_s'])} records/s in one Python thread on these payloads."]
        out.append("")

    lat = res.get("latency")
    if lat:
        w = lat["hdfs_watch"]
        out += [f"## 3. Latency — produce → visible in HDFS, {lat['target_rate']:g} tweets/s for "
                f"{case['latency_seconds']:g} s, sink roll R = {lat['roll_seconds']:g} s", "",
                "| interval | p50 (s) | p95 (s) | p99 (s) | max (s) |", "|---|---:|---:|---:|---:|"]
        for label, key in (("produce() call → file listed on HDFS", "produce_to_visible_s"),
                           ("delivery report → file listed on HDFS", "ack_to_visible_s"),
                           ("produce() call → delivery report", "produce_to_ack_s")):
            s = lat[key]
            out.append(f"| {label} | {s['p50']:.2f} | {s['p95']:.2f} | {s['p99']:.3g} | {s['max']:.2f} |")
        out += ["", f"{_n(lat['records'])} records sent at {_n(lat['achieved_rate'], 1)}/s achieved; "
                f"{_n(lat['visible'])} visible, {_n(lat['not_visible'])} never seen, {lat['failed']} failed. "
                f"The sink landed them in {lat['sink_files']} files ({lat['sink_rolls']} rolls; a roll took "
                f"{_n(lat.get('roll_seconds_median'), 2)} s median, {_n(lat.get('roll_seconds_max'), 2)} s at most). "
                f"WebHDFS listed the "
                f"bench raw root every {_n(w['interval_median_s'], 2)} s (median; max gap {_n(w['interval_max_s'], 2)} s, "
                f"{w['errors']} failed listings): a file's visible time is when the listing that first showed it "
                f"returned, so figures are late by at most about one interval. The stack's own sink rolls every "
                f"30 s, so expect its latency to be about 25 s higher (not measured).", ""]

    rs = res.get("replay_stream")
    if rs:
        out += ["## Replay of a pretty-printed JSON array (issue #25)", "",
                f"{rs['file_mib']} MiB, {rs['tweets']:,} tweets ({rs['rejected']} rejected), in a child process: "
                f"{rs['seconds']} s ({rs['mib_per_s']} MiB/s), peak RSS {rs['peak_rss_mib']} MiB (VmHWM, "
                f"interpreter included). Memory is one element at a time: it does not grow with the file.", ""]
    out += mqtt_section(res)

    ch = res.get("choice")
    if ch:
        out += ["## Client library", "", ch["text"], ""]

    for title, key in (("producer", "producer"), ("reader", "consumer")):
        if res.get(key):
            out += [f"## Every run: {title}s", ""] + _runs_table(res[key]["runs"]) + [""]

    cl = res.get("cleanup", {})
    ns = res.get("namespace", {})
    out += ["## Cleanup", "",
            f"Deleted {len(cl.get('topics_deleted', []))} topics and {len(cl.get('groups_deleted', []))} consumer groups "
            f"named `{ns.get('topic_prefix')}*`, and `{cl.get('hdfs_dir_deleted') or ns.get('hdfs_dir')}` "
            f"({HDFS_LEFT.get(cl.get('hdfs_dir_left'), 'not checked')}). Left over: topics "
            f"{cl.get('left_over_topics', 'unknown') or 'none'}, groups {cl.get('left_over_groups', 'unknown') or 'none'}; "
            f"errors: {cl.get('errors') or 'none'}.", "",
            "Tool output and sink logs of every run are in `logs/`; every figure is in `results.json`.", ""]
    return "\n".join(out)


def mqtt_section(res: dict) -> list[str]:
    """Phase 4: the MQTT bridge against mosquitto_sub on the same backlog, and publish -> visible."""
    mq = res.get("mqtt")
    if not mq:
        return []
    th, out = mq["throughput"], []
    out += [f"## 4. MQTT — the bridge vs the broker's own fan-out ({_n(th['records_per_run'])} tweets a drain)", "",
            "Each reader drains the same queued backlog alone: mosquitto_sub (prints and forgets, the ceiling) "
            "and the bridge (validates, produces to Kafka, acknowledges each message after Kafka's delivery "
            "report). Bridge time runs from its first message in to its last acknowledgement.", "",
            "| reader | tweets/s (median) | tweets/s (min – max) | runs |", "|---|---:|---:|---:|"]
    for name, s in th["summary"].items():
        r = s["records_per_s"]
        out.append(f"| {name} | {_n(r['median'])} | {_n(r['min'])} – {_n(r['max'])} | {r['n']} |")
    out += ["", f"Bridge / mosquitto_sub: **{_pct(th['bridge_over_sub'])}**.", ""]
    prof = mq.get("profile")
    if prof:
        out += [f"The bridge missed its goal, so one more drain ran under cProfile ({_n(prof['records_per_s_profiled'])} "
                f"tweets/s with the profiler on; full listing `{Path(prof['file']).name}` in logs/). Own time, top 10:", "",
                "| function | calls | own s | share |", "|---|---:|---:|---:|"]
        for row in prof["top_tottime"][:10]:
            out.append(f"| `{row['function']}` | {_n(row['calls'])} | {row['tottime_s']:.2f} | {_pct(row['share'])} |")
        out.append("")
    lat = mq.get("latency")
    if lat:
        out += [f"Publish → visible in HDFS through the bridge and a sink (R = {lat['roll_seconds']:g} s), "
                f"{_n(lat['records'])} tweets at {_n(lat['achieved_rate'], 1)}/s:", "",
                "| interval | p50 (s) | p95 (s) | p99 (s) | max (s) |", "|---|---:|---:|---:|---:|"]
        for label, key in (("publish → file listed on HDFS", "produce_to_visible_s"),
                           ("publish → read back from Kafka", "produce_to_ack_s"),
                           ("read back from Kafka → file listed", "ack_to_visible_s")):
            s = lat[key]
            out.append(f"| {label} | {s['p50']:.2f} | {s['p95']:.2f} | {s['p99']:.3g} | {s['max']:.2f} |")
        out += ["", f"{_n(lat['visible'])} visible, {_n(lat['not_visible'])} never seen.", ""]
    return out


def store(out_dir: Path, results: dict) -> None:
    write_results(out_dir, results)
    write_report(out_dir, render(results))


def _hdfs_site(name: str, default: str) -> str:
    """A property of the lake's hdfs-site.xml template (the value every HDFS client here runs with)."""
    import xml.etree.ElementTree as ET

    from lake.settings import ROOT

    f = ROOT / "hadoop-cluster" / "etc" / "hadoop" / "hdfs-site.xml"
    try:
        for prop in ET.parse(f).getroot().iter("property"):
            if prop.findtext("name") == name:
                return (prop.findtext("value") or default).strip()
    except (OSError, ET.ParseError):
        pass
    return default
