"""The compactor's plan (how many files a partition gets, which partitions it leaves alone) and
its command line's answers to bad input; the rewrite itself is tested against the real stack
(tests/integration/test_compact.py)."""
from __future__ import annotations

import pytest

from lake.pipeline import compact as lake_compact
from spark.jobs import compact

MIB = 2**20


@pytest.mark.parametrize("total,target,min_files,expected", [
    (0, 128, 1, 1),                  # an empty partition still gets (at most) one file
    (10 * MIB, 128, 1, 1),
    (300 * MIB, 128, 1, 3),          # ceil(300 / 128)
    (256 * MIB, 128, 1, 2),
    (10 * MIB, 128, 4, 4),           # at least min_files (2 per core on 2 cores)
])
def test_planned_files(total, target, min_files, expected):
    assert compact.planned_files(total, target, min_files) == expected


def test_partition_names_become_specs():
    assert compact.partition_spec("created_date=2024-01-01/created_hour=7") == {"created_date": "2024-01-01",
                                                                              "created_hour": "7"}
    assert compact.partition_spec("tag=a%2Fb") == {"tag": "a/b"}


def test_args_refuse_nonsense():
    with pytest.raises(SystemExit):
        compact.parse_args(["--table", "s.t", "--target-mb", "0"])
    with pytest.raises(SystemExit):
        compact.parse_args(["--table", "s.t", "--min-files", "0"])
    a = compact.parse_args(["--table", "s.t"])
    assert (a.target_mb, a.min_files, a.grace_seconds, a.dry_run) == (128.0, 1, 30.0, False)


@pytest.mark.parametrize("table", ["", "no_schema", "a.b.c"])
def test_cli_wants_schema_dot_table(table, capsys):
    assert lake_compact.main(["--table", table]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("make compact: error: ") and "TABLE=schema.table" in err[0]


def test_summary_line():
    r = {"table": "s.t", "rewritten": 1, "partitions": [{}, {}], "dry_run": False, "files_before": 40,
         "files_after": 2, "bytes_before": 3 * MIB, "bytes_after": 2 * MIB, "seconds": 12.5}
    assert lake_compact.summary(r) == ("compact s.t: 1 of 2 partition(s) rewritten; files 40 -> 2, "
                                       "3.0 MiB -> 2.0 MiB (12.5 s)")
