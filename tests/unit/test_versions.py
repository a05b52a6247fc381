"""The one version file is consistent and fully pinned."""
from __future__ import annotations

import re

from lake import versions


def test_every_python_package_is_pinned_exactly():
    for line in versions.python_requirements():
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+==[0-9][0-9A-Za-z.]*", line), line


def test_spark_maven_version_matches_pyspark():
    # spark-sql-kafka must be the same Spark version as the pyspark wheel.
    assert versions.maven("spark") == versions.load()["python"]["packages"]["pyspark"]


def test_poms_take_versions_only_from_properties():
    # A literal version in a pom would be a second place to pin it.
    from lake.stack.install import MAVEN_LIBS
    from lake.settings import ROOT

    for lib in MAVEN_LIBS:
        pom = (ROOT / lib.pom)
        if not pom.exists():
            continue
        for prop in lib.properties:
            assert f"${{{prop}}}" in pom.read_text(), f"{lib.pom} does not use ${{{prop}}}"
