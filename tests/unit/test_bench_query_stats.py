"""The query benchmark's statistics: summaries, ratios, geometric means, answer equality, Trino's sizes."""
from __future__ import annotations

import math
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from lake.bench import stats
from lake.bench.query import answers
from lake.bench.query.trino_run import _millis, figures, task_nodes, parse_size


def test_summaries_use_the_middle_value_and_the_extremes():
    assert stats.summarize([3.0, 1.0, 2.0]) == {"n": 3, "median": 2.0, "min": 1.0, "max": 3.0}
    assert stats.median([4.0, 1.0, 3.0, 2.0]) == 2.5


def test_geomean_of_ratios_and_its_refusals():
    assert stats.geomean([2.0, 8.0]) == pytest.approx(4.0)
    assert stats.geomean([0.5, 2.0]) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        stats.geomean([])
    with pytest.raises(ValueError):
        stats.geomean([1.0, 0.0])


def test_ratio_and_speedup_are_none_without_a_baseline():
    assert stats.ratio(5, 10) == 0.5
    assert stats.speedup(10, 5) == 2.0
    assert stats.ratio(5, 0) is None and stats.ratio(None, 3) is None and stats.speedup(3, None) is None


def test_engines_types_normalize_to_the_same_answer():
    trino = [("en", 10, Decimal("2.50"), datetime(2023, 12, 15, 10, 0, 0, 123000), date(2023, 12, 15), True)]
    duck = [["en", 10.0, 2.5, datetime(2023, 12, 15, 10, 0, 0, 123000, tzinfo=timezone.utc), date(2023, 12, 15), True]]
    assert answers.normalize(trino) == answers.normalize(duck)


def test_floats_compare_to_nine_significant_digits_only():
    assert answers.normalize([(1 / 3,)]) == answers.normalize([(0.3333333333333,)])
    assert answers.normalize([(0.3333,)]) != answers.normalize([(0.3334,)])
    assert answers.normalize_value(float("nan")) == "nan"


def test_row_order_does_not_matter_but_content_does():
    a = [("x", 1), ("y", None)]
    assert answers.answers_differ({"ref": a, "other": list(reversed(a))}, "ref") == {}
    diff = answers.answers_differ({"ref": a, "bad": [("x", 1)]}, "ref")
    assert list(diff) == ["bad"] and diff["bad"]["expected_rows"] == 2 and diff["bad"]["got_rows"] == 1


def test_arrays_normalize_to_tuples():
    assert answers.normalize([(["a", "b"],)]) == answers.normalize([(("a", "b"),)])


@pytest.mark.parametrize("text,expected", [("0B", 0), ("123B", 123), ("1.50kB", 1536), ("2MB", 2 * 2**20),
                                           ("1.25GB", int(1.25 * 2**30))])
def test_trino_data_sizes(text, expected):
    assert parse_size(text) == expected


def test_trino_sizes_and_durations_refuse_garbage():
    with pytest.raises(ValueError):
        parse_size("12 parsecs")
    with pytest.raises(ValueError):
        _millis("soon")


@pytest.mark.parametrize("text,ms", [("3.72s", 3720.0), ("4.67ms", 4.67), ("116.27us", 0.11627), ("0.00ns", 0.0),
                                     ("1.50m", 90000.0)])
def test_trino_durations(text, ms):
    assert math.isclose(_millis(text), ms)


def test_figures_take_splits_from_the_table_scans_only():
    info = {"queryId": "q1", "queryStats": {
        "elapsedTime": "1.00s", "totalCpuTime": "250ms", "physicalInputDataSize": "1MB",
        "physicalInputPositions": 42, "peakUserMemoryReservation": "1kB",
        "operatorSummaries": [{"operatorType": "TableScanOperator", "totalDrivers": 3},
                              {"operatorType": "ScanFilterAndProjectOperator", "totalDrivers": 2},
                              {"operatorType": "ExchangeOperator", "totalDrivers": 9}]}}
    f = figures(info)
    assert f == {"query_id": "q1", "wall_ms": 1000.0, "cpu_ms": 250.0, "input_bytes": 2**20, "input_rows": 42,
                 "splits": 5, "peak_memory_bytes": 1024, "nodes": {}}


def _task(node: str, drivers: int) -> dict:
    return {"taskStatus": {"nodeId": node, "state": "FINISHED"}, "stats": {"totalDrivers": drivers}}


@pytest.mark.parametrize("shape", ["stages", "outputStage"])
def test_task_nodes_count_each_workers_tasks_and_splits_in_either_stage_tree(shape):
    leaf = {"stageId": "q.1", "tasks": [_task("w1", 7), _task("w2", 5), _task("w1", 1)]}
    root = {"stageId": "q.0", "tasks": [_task("coord", 1)]}
    stages = ({"outputStageId": "q.0", "stages": [root, leaf]} if shape == "stages"
              else {**root, "subStages": [leaf]})
    nodes = task_nodes({"queryId": "q", shape: stages})
    assert nodes == {"coord": {"tasks": 1, "drivers": 1}, "w1": {"tasks": 2, "drivers": 8},
                     "w2": {"tasks": 1, "drivers": 5}}
