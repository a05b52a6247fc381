"""Raw sink logic that needs neither Kafka nor HDFS: the per-record check, when to roll,
where a roll's files go, and the one-roll-per-partition rule of the roll workers."""
from __future__ import annotations

import threading
import time

import pytest

import ingestion.sink.raw_sink as sink_module

from ingestion.sink.raw_sink import CAUGHT_UP_FLOOR_EXEMPT_SHARE, CAUGHT_UP_MIN_SECONDS, RawSink, SinkConfig, _Buffer, check_payload, next_check_in, \
    roll_reason
from ingestion.sink.inflight import InFlight
from ingestion.sink.roll import Layout, chunk_frame, SinkError, file_name, parse_file_name, parse_range_name, range_name


# ---------------------------------------------------------------- check_payload
@pytest.mark.parametrize("value, reason", [
    (None, "empty"),
    (b"", "empty"),
    (b"\xff\xfe{}", "invalid_utf8"),
    (b'{"text": "\xed\xa0\x80"}', "invalid_utf8"),          # an encoded surrogate is not UTF-8
    (b'{"id": 1', "invalid_json"),                           # truncated
    (b'{"id": 1} {"id": 2}', "invalid_json"),                # junk after the value
    (b'{"n": NaN}', "invalid_json"),                         # as replay: not JSON
    (b'{"n": Infinity}', "invalid_json"),
    (b'{"t": "\\ud800"}', "invalid_json"),                   # lone surrogate escape
    (b'{"t": "a\tb"}', "invalid_json"),                      # raw control character inside a string
    (b'{"a": [1,]}', "invalid_json"),
    (b'{"a":' * 5000 + b"1" + b"}" * 5000, "invalid_json"),  # nested deeper than any parser allows
    (b"[" * 5000 + b"]" * 5000, "invalid_json"),
    (b"[1", "invalid_json"),                                 # neither an object nor JSON: JSON is checked first
    (b'[{"id": 1}]', "not_an_object"),
    (b'"a string"', "not_an_object"),
    (b"42", "not_an_object"),
    (b"null", "not_an_object"),
])
def test_check_payload_rejects_with_a_reason(value, reason):
    assert check_payload(value) == (None, reason)


def test_check_payload_keeps_objects_unchanged_and_on_one_line():
    tweet = '{"id": "1", "text": "olá 👋 \\n escaped newline stays", "n": -1.5e-3, "a": [true, null, {}]}'.encode()
    assert check_payload(tweet) == (tweet, None)
    assert check_payload(b' {"a": 1}\n') == (b' {"a": 1} ', None)
    assert check_payload(b'{"a":\r\n 1}') == (b'{"a":   1}', None)


# ---------------------------------------------------------------- when to roll
def _buf(first=0, last=9, opened=100.0, oldest_ms=1_000_000, size=10) -> _Buffer:
    return _Buffer(first=first, last=last, opened=opened, oldest_ms=oldest_ms, size=size)


def test_roll_reason_size_age_and_empty():
    assert roll_reason(_Buffer(), 1e9, 10**13, 100, 5, True) is None
    assert roll_reason(_buf(size=100), 100.1, 1_000_100, 100, 5, False) == "size"
    assert roll_reason(_buf(), 105.0, 1_000_100, 100, 5, False) == "age"
    assert roll_reason(_buf(), 104.9, 1_000_100, 100, 5, False) is None


def test_roll_reason_caught_up_counts_r_from_production():
    # Read to the partition's end 2 s after opening; the oldest record was produced 5 s ago: land now.
    assert roll_reason(_buf(), 102.0, 1_005_000, 100, 5, caught_up=True) == "caught_up"
    # Same, but records are younger than R: wait for R as usual.
    assert roll_reason(_buf(), 102.0, 1_004_999, 100, 5, caught_up=True) is None
    # Not at the partition's end (more is being read): the buffer keeps growing towards the size trigger.
    assert roll_reason(_buf(), 102.0, 1_005_000, 100, 5, caught_up=False) is None


def test_roll_reason_caught_up_never_rolls_more_often_than_the_floor():
    # Producer clocks far behind: every record looks old, yet a buffer younger than the floor waits.
    young = 100.0 + CAUGHT_UP_MIN_SECONDS / 2
    assert roll_reason(_buf(oldest_ms=0), young, 1_005_000, 100, 5, caught_up=True) is None
    assert roll_reason(_buf(oldest_ms=0), 100.0 + CAUGHT_UP_MIN_SECONDS, 1_005_000, 100, 5, True) == "caught_up"


def test_roll_reason_caught_up_floor_spares_a_buffer_that_is_no_small_file():
    # A drained backlog: the buffer is big, so it lands as soon as the partition's end is read.
    young = 100.0 + CAUGHT_UP_MIN_SECONDS / 2
    big = int(1000 * CAUGHT_UP_FLOOR_EXEMPT_SHARE)
    assert roll_reason(_buf(oldest_ms=0, size=big), young, 1_005_000, 1000, 5, caught_up=True) == "caught_up"
    assert roll_reason(_buf(oldest_ms=0, size=big - 1), young, 1_005_000, 1000, 5, caught_up=True) is None
    # Size alone never overrides R counted from production, nor being behind the partition's end.
    assert roll_reason(_buf(size=big), young, 1_004_999, 1000, 5, caught_up=True) is None
    assert roll_reason(_buf(oldest_ms=0, size=big), young, 1_005_000, 1000, 5, caught_up=False) is None


def test_next_check_in_is_the_earliest_time_rule():
    assert next_check_in(_Buffer(), 0, 0, 100, 5, True) == float("inf")
    assert next_check_in(_buf(), 101.0, 1_001_000, 100, 5, caught_up=False) == pytest.approx(4.0)
    # Caught up, records produced 1 s before they were read: due 1 s earlier than by age.
    assert next_check_in(_buf(), 101.0, 1_002_000, 100, 5, caught_up=True) == pytest.approx(3.0)
    # ...but never before the floor...
    assert next_check_in(_buf(oldest_ms=0), 100.2, 1_002_000, 100, 5, caught_up=True) == \
        pytest.approx(CAUGHT_UP_MIN_SECONDS - 0.2)
    # ...unless the buffer is big enough to be spared it.
    assert next_check_in(_buf(oldest_ms=0, size=100), 100.2, 1_002_000, 100, 5, caught_up=True) == 0.0


class _Watermarks:
    """The consumer's cached high watermarks (what get_watermark_offsets(cached=True) returns)."""

    def __init__(self):
        self.high: dict[int, int] = {}

    def get_watermark_offsets(self, tp, cached=False):
        assert cached, "the sink must not send a request per check"
        high = self.high.get(tp.partition, -1001)
        return (-1001 if high < 0 else 0), high


def test_caught_up_only_until_a_later_offset_is_read():
    sink = RawSink(SinkConfig(bootstrap="127.0.0.1:1", webhdfs_url="http://127.0.0.1:1", hdfs_user="u"))
    sink._consumer = marks = _Watermarks()
    try:
        buf = _buf(first=0, last=9)
        assert not sink._caught_up(3, buf)              # no fetch response seen yet for this partition
        marks.high[3] = 12                               # the broker held offsets up to 11
        assert not sink._caught_up(3, buf)
        marks.high[3] = 10                               # end reached right after offset 9
        assert sink._caught_up(3, buf)
        marks.high[3] = 15                               # a later fetch saw more records: not caught up
        assert not sink._caught_up(3, buf)
        buf.last = 14
        assert sink._caught_up(3, buf)
    finally:
        sink.inflight.shutdown()


class _Queue:
    """A consumer whose queue holds `queued` records; records every consume() call."""

    def __init__(self, queued: int):
        self.queued, self.calls = queued, []

    def consume(self, num_messages, timeout):
        self.calls.append((num_messages, timeout))
        n = min(num_messages, self.queued)
        self.queued -= n
        return ["m"] * n


def test_consume_never_waits_for_a_full_batch():
    # librdkafka's consume() returns at num_messages or at the timeout: a blocking call for a full
    # batch would hold a partition's last records for the whole poll timeout.
    sink = RawSink(SinkConfig(bootstrap="127.0.0.1:1", webhdfs_url="http://127.0.0.1:1", hdfs_user="u"))
    try:
        sink._consumer = q = _Queue(queued=7)
        assert len(sink._consume()) == 7
        assert q.calls == [(sink_module.CONSUME_BATCH, 0)]
        # Nothing queued: wait, but only for the first record to arrive.
        assert sink._consume() == []
        assert q.calls[1][0] == sink_module.CONSUME_BATCH and q.calls[1][1] == 0
        assert q.calls[2][0] == 1 and q.calls[2][1] > 0
    finally:
        sink.inflight.shutdown()


def test_chunk_frame_is_one_http_chunk_of_newline_ended_lines():
    lines = [b'{"id": "1"}', b"", b'{"t": "\xc3\xa9"}']
    frame = chunk_frame(lines)
    size_line, rest = frame.split(b"\r\n", 1)
    data = b"".join(line + b"\n" for line in lines)
    assert int(size_line, 16) == len(data)
    assert rest == data + b"\r\n"
    assert chunk_frame([b"x" * 300]) == b"12D\r\n" + b"x" * 300 + b"\n\r\n"


# ---------------------------------------------------------------- where files go
LAYOUT = Layout("tweets.raw", "/lake/raw/tweets", "/lake/raw/_rejected/tweets", "/lake/raw/_sink")


def test_work_names_and_the_range_say_where_each_file_lands():
    name = file_name("tweets.raw", 2, 100, 199)
    seg = ("2026-11-23", "09", 100)
    raw, rejected = LAYOUT.raw_work_name(seg), LAYOUT.rejected_work_name(seg)
    assert (raw, rejected) == ("raw-2026-11-23-09-0000000000000000100", "rejected-2026-11-23-09-0000000000000000100")
    assert LAYOUT.final_paths([raw, rejected], 2, 100, 199) == {
        raw: f"/lake/raw/tweets/ingest_date=2026-11-23/ingest_hour=09/{name}",
        rejected: f"/lake/raw/_rejected/tweets/ingest_date=2026-11-23/{name}"}
    assert LAYOUT.state_dir(2) == "/lake/raw/_sink/tweets.raw/p=2"


def test_a_roll_across_hours_and_midnight_names_each_file_by_its_own_range():
    """The defect this guards against: every file of a roll used to carry the roll's range, so a
    roll crossing an hour landed two files with one name, and bronze (keyed by date and name) read one."""
    segs = [("2026-11-23", "22", 0), ("2026-11-23", "23", 40), ("2026-11-24", "00", 75)]
    names = [LAYOUT.raw_work_name(s) for s in segs] + [LAYOUT.rejected_work_name(segs[0]),
                                                      LAYOUT.rejected_work_name(segs[2])]
    finals = LAYOUT.final_paths(names, 0, 0, 99)
    ranges = {n: parse_file_name(f.rsplit("/", 1)[1])[2:] for n, f in finals.items()}
    assert ranges == {names[0]: (0, 39), names[1]: (40, 74), names[2]: (75, 99), names[3]: (0, 39), names[4]: (75, 99)}
    assert len({f for f in finals.values()}) == 5
    assert finals[names[2]].startswith("/lake/raw/tweets/ingest_date=2026-11-24/ingest_hour=00/")
    assert finals[names[4]].startswith("/lake/raw/_rejected/tweets/ingest_date=2026-11-24/")
    # Files move in segment order, raw before rejected: what a crash leaves is always recomputed right.
    order = list(finals)
    assert order == [names[0], names[3], names[1], names[2], names[4]]
    for moved in range(len(order)):
        left = order[moved:]
        assert LAYOUT.final_paths(left, 0, 0, 99) == {n: finals[n] for n in left}


def test_working_names_of_sinks_before_segments_still_land_with_the_roll_range():
    name = file_name("tweets.raw", 1, 5, 9)
    assert LAYOUT.final_paths(["raw-2026-11-23-09", "rejected-2026-11-23"], 1, 5, 9) == {
        "raw-2026-11-23-09": f"/lake/raw/tweets/ingest_date=2026-11-23/ingest_hour=09/{name}",
        "rejected-2026-11-23": f"/lake/raw/_rejected/tweets/ingest_date=2026-11-23/{name}"}


def test_a_stray_file_in_the_state_dir_is_an_error_not_a_guess():
    for stray in ("notes.txt", "raw-2026-11-23", "rejected-2026-11-23-09", "raw-2026-11-23-09-12"):
        with pytest.raises(SinkError, match="unexpected file"):
            LAYOUT.final_paths([stray], 0, 0, 1)


class _Msg:
    def __init__(self, partition, offset, ts_ms, value):
        self._p, self._o, self._ts, self._v = partition, offset, ts_ms, value

    def error(self): return None
    def partition(self): return self._p
    def offset(self): return self._o
    def timestamp(self): return (1, self._ts)
    def value(self): return self._v
    def key(self): return b"k"
    def headers(self): return []
    def topic(self): return "tweets.raw"


class _RecordingRoll:
    def __init__(self, store, partition, first):
        self.added, self.rejected = [], []

    def add(self, seg, lines):
        self.added += [(seg, line) for line in lines]

    def reject(self, seg, line):
        self.rejected.append((seg, line))


def test_consumed_records_are_cut_into_segments_that_never_go_back_an_hour(monkeypatch):
    import ingestion.sink.raw_sink as sink_mod

    monkeypatch.setattr(sink_mod, "OpenRoll", _RecordingRoll)
    sink = RawSink(SinkConfig(bootstrap="127.0.0.1:1", webhdfs_url="http://127.0.0.1:1", hdfs_user="u"))
    try:
        h10 = 1_795_000_000_000 // 3_600_000 * 3_600_000 + 10 * 3_600_000   # an hour boundary
        stamps = [h10 + 5, h10 + 3_599_999, h10 + 3_600_000, h10 + 3_599_998, h10 + 3_600_001]
        values = [b'{"a": 1}', b'{"a": 2}', b'{"a": 3}', b"not json", b'{"a": 5}']
        sink._take([_Msg(0, 100 + i, ts, v) for i, (ts, v) in enumerate(zip(stamps, values))])
        roll = sink.buffers[0].roll
        day = sink_mod.ingest_slot(h10)[0]
        hour10, hour11 = (day, sink_mod.ingest_slot(h10)[1], 100), (day, sink_mod.ingest_slot(h10 + 3_600_000)[1], 102)
        assert [seg for seg, _ in roll.added] == [hour10, hour10, hour11, hour11]
        # The late record (offset 103, stamped in the earlier hour) joins the current segment.
        assert [seg for seg, _ in roll.rejected] == [hour11]
    finally:
        sink.inflight.shutdown()


def test_range_names_sort_by_offset():
    names = [range_name(f, l) for f, l in ((1000, 1999), (0, 999), (10_000_000, 10_000_001))]
    assert sorted(names) == [range_name(0, 999), range_name(1000, 1999), range_name(10_000_000, 10_000_001)]
    assert parse_range_name(range_name(5, 17)) == (5, 17)


# ---------------------------------------------------------------- roll workers
def test_inflight_allows_one_roll_per_partition():
    inflight = InFlight(2)
    gate = threading.Event()
    try:
        inflight.start(0, gate.wait, 10)
        with pytest.raises(RuntimeError, match="partition 0 already has a roll in flight"):
            inflight.start(0, gate.wait, 10)
        assert inflight.busy(0) and not inflight.busy(1)
        assert inflight.finished() == []                 # not done: nothing handed back, nothing to commit
        gate.set()
        assert inflight.wait([0]) == [(0, True, None)]
        assert not inflight.busy(0) and len(inflight) == 0
    finally:
        gate.set()
        inflight.shutdown()


def test_inflight_runs_partitions_at_once_and_hands_back_in_partition_order():
    inflight = InFlight(4)
    both = threading.Barrier(2, timeout=5)   # each roll waits for the other: passes only if they overlap

    def roll(partition):
        both.wait()
        return partition

    try:
        inflight.start(1, roll, 1)
        inflight.start(0, roll, 0)
        assert inflight.wait() == [(0, 0, None), (1, 1, None)]
    finally:
        inflight.shutdown()


def test_inflight_reports_a_failed_roll_without_losing_the_others():
    inflight = InFlight(2)

    def fail():
        raise OSError("HDFS went away")

    try:
        inflight.start(0, fail)
        inflight.start(1, lambda: "landed")
        deadline = time.monotonic() + 5
        done = []
        while len(done) < 2 and time.monotonic() < deadline:
            done += inflight.finished(timeout=0.5)
        (p0, r0, e0), (p1, r1, e1) = sorted(done, key=lambda d: d[0])
        assert (p0, r0, type(e0)) == (0, None, OSError)
        assert (p1, r1, e1) == (1, "landed", None)
    finally:
        inflight.shutdown()


# ---------------------------------------------------------------- a failed roll (a DataNode died under it)
class _Rewind:
    """The consumer and the store as _redo() uses them: commits, seeks and recoveries, recorded."""

    def __init__(self, recovered: int):
        self.recovered, self.commits, self.seeks, self.recoveries = recovered, [], [], []

    def commit(self, offsets, asynchronous):
        self.commits += [(tp.partition, tp.offset) for tp in offsets]

    def seek(self, tp):
        self.seeks.append((tp.partition, tp.offset))

    def recover(self, partition):
        self.recoveries.append(partition)
        return self.recovered


class _AbandonedRoll:
    abandoned = False

    def abandon(self):
        self.abandoned = True


def test_a_failed_roll_is_redone_from_the_landed_offset_then_gives_up(monkeypatch):
    monkeypatch.setattr(sink_module.time, "sleep", lambda s: None)
    sink = RawSink(SinkConfig(bootstrap="127.0.0.1:1", webhdfs_url="http://127.0.0.1:1", hdfs_user="u"))
    try:
        sink._consumer = sink.store = fake = _Rewind(recovered=-1)
        sink.landed[2] = 500                                 # rolls up to offset 499 landed and committed
        sink.buffers[2] = buf = _buf(first=620, last=700)    # consumed after the failed roll (500..619)
        buf.roll = _AbandonedRoll()
        sink._settle([(2, None, ConnectionResetError(104, "Connection reset by peer"))])
        # Its files and the next buffer's are dropped; the partition reads again from 500, commits nothing.
        assert buf.roll.abandoned and sink.buffers[2].first is None
        assert fake.recoveries == [2] and fake.seeks == [(2, 500)] and fake.commits == [] and not sink.failed
        # A roll that got as far as its marker is completed by recovery: the sink goes on after it.
        fake.recovered = 620
        sink._settle([(2, None, OSError("rename failed"))])
        assert fake.commits == [(2, 620)] and fake.seeks[-1] == (2, 620) and sink.landed[2] == 620
        # A landed roll ends the run of failures; ROLL_RETRIES more in a row end the sink, as before.
        sink._settle([])
        sink.roll_failures.clear()
        for _ in range(sink_module.ROLL_RETRIES):
            sink._settle([(2, None, ConnectionResetError(104, "reset"))])
        with pytest.raises(SinkError, match="roll of partition 2 failed"):
            sink._settle([(2, None, ConnectionResetError(104, "reset"))])
        assert sink.failed
    finally:
        sink.inflight.shutdown()


def test_create_skips_a_datanode_that_refuses_the_connection():
    """WebHDFS CREATE's redirect to a DataNode that is dead (the NameNode still counts it live) is asked again
    with that DataNode excluded; the data goes to the one that answers."""
    import http.server
    import socket
    from ingestion.sink.roll import RollStore

    got = {}

    class DataNode(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_PUT(self):
            body = b""
            while (size := int(self.rfile.readline().strip(), 16)):
                body += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
            got["body"] = body
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    live = http.server.HTTPServer(("127.0.0.1", 0), DataNode)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]          # nothing listens here once the socket is closed
    served = threading.Thread(target=live.serve_forever, daemon=True)
    served.start()

    class NameNode:
        def __init__(self):
            self.asked = []

        def _create(self, path, overwrite, **params):
            self.asked.append(params)
            port = live.server_port if params.get("excludedatanodes") else dead_port
            return type("Response", (), {"headers": {"location": f"http://127.0.0.1:{port}/webhdfs/v1{path}?op=CREATE"}})

    nn = NameNode()
    store = RollStore(Layout("t", "/raw", "/rej", "/state"), lambda: nn, timeout=10)
    try:
        store.stream("/state/t/p=0/tmp/x/raw-file", iter([[b'{"a": 1}', b'{"a": 2}']]))
    finally:
        live.shutdown()
    assert nn.asked == [{}, {"excludedatanodes": "127.0.0.1"}]
    assert got["body"] == b'{"a": 1}\n{"a": 2}\n'
