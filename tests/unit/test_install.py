"""Artifact resolution: stamps make a second run a no-op; corrupt jars are caught."""
from __future__ import annotations

import zipfile

import pytest

from lake import settings
from lake.stack import install
from lake.errors import LakeError


def _jar(path, ok=True):
    if ok:
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
    else:
        path.write_bytes(b"PK\x03\x04 truncated download")


def test_check_jars_flags_truncated(tmp_path):
    _jar(tmp_path / "good.jar")
    _jar(tmp_path / "bad.jar", ok=False)
    assert [p.name for p in install._check_jars(tmp_path)] == ["bad.jar"]


def test_stamp_changes_with_versions_and_pom():
    lib = install.MAVEN_LIBS[0]
    root = settings.ROOT
    a = install._stamp(lib, root)
    assert a == install._stamp(lib, root)
    other = install.MavenLib(lib.name, lib.pom, {"hadoop.version": "kafka"})
    assert install._stamp(other, root) != a


def test_cached_lib_skips_maven(tmp_path, monkeypatch):
    s = settings.load({"LAKE_VAR_DIR": str(tmp_path)})
    lib = install.MAVEN_LIBS[0]
    target = s.lib_dir / lib.name
    target.mkdir(parents=True)
    _jar(target / "a.jar")
    (target / ".resolved").write_text(install._stamp(lib, s.root))
    monkeypatch.setattr(install, "_mvn", lambda *a, **k: pytest.fail("Maven must not run for a cached lib"))
    assert install.resolve_maven_lib(s, lib) == "cached"


def test_corrupt_cached_lib_is_resolved_again(tmp_path, monkeypatch):
    s = settings.load({"LAKE_VAR_DIR": str(tmp_path)})
    lib = install.MAVEN_LIBS[0]
    target = s.lib_dir / lib.name
    target.mkdir(parents=True)
    _jar(target / "a.jar", ok=False)
    (target / ".resolved").write_text(install._stamp(lib, s.root))
    calls = []

    def fake_mvn(args, what):
        out = next(a for a in args if a.startswith("-DoutputDirectory=")).split("=", 1)[1]
        __import__("pathlib").Path(out).mkdir(parents=True)
        _jar(__import__("pathlib").Path(out) / "a.jar")
        calls.append(what)

    monkeypatch.setattr(install, "_mvn", fake_mvn)
    assert install.resolve_maven_lib(s, lib).startswith("resolved")
    assert calls == [lib.name]


def test_corrupt_fresh_download_is_one_clear_error(tmp_path, monkeypatch):
    s = settings.load({"LAKE_VAR_DIR": str(tmp_path)})
    lib = install.MAVEN_LIBS[0]

    def fake_mvn(args, what):
        out = __import__("pathlib").Path(next(a for a in args if a.startswith("-DoutputDirectory=")).split("=", 1)[1])
        out.mkdir(parents=True)
        _jar(out / "broken.jar", ok=False)

    monkeypatch.setattr(install, "_mvn", fake_mvn)
    with pytest.raises(LakeError, match="corrupt or partial download: broken.jar"):
        install.resolve_maven_lib(s, lib)
