"""What Spark jobs ship to their executors (a zip on the Python path, nothing else of the repo) holds every
module the executors import: a package moved into a sub-package must still be in the zip."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from spark.jobs import bench_generate, common


@pytest.mark.parametrize(("zip_of", "modules"), [
    (common.code_zip, ["spark.transforms.columnar", "spark.transforms.parse", "spark.enrich.words",
                       "spark.enrich.sentiment_batch", "spark.enrich.geo"]),
    (bench_generate.code_zip, ["ingestion.sources.synthetic", "spark.transforms.parse"]),
])
def test_the_zip_alone_imports_what_the_executors_run(tmp_path, zip_of, modules):
    z = zip_of(tmp_path)
    code = "import importlib, sys; [importlib.import_module(m) for m in sys.argv[1:]]"
    # cwd outside the repo and the zip as the only project path: what a YARN container sees
    r = subprocess.run([sys.executable, "-c", code, *modules], cwd=tmp_path, capture_output=True, text=True,
                       env={"PYTHONPATH": str(z), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert not (Path(tmp_path) / "spark").exists()  # nothing but the zip provided the packages
