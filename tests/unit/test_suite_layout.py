"""The test folders have no __init__.py, so pytest imports each test file by its base name: two files
with one name (tests/unit/test_x.py and tests/integration/test_x.py) stop the whole run at collection
("import file mismatch"), which a run of one folder alone never shows."""
from __future__ import annotations

from collections import Counter

from lake.settings import ROOT


def test_no_two_test_files_share_a_name():
    names = Counter(p.name for p in (ROOT / "tests").rglob("test_*.py"))
    assert not [n for n, k in names.items() if k > 1]
