"""The lake's side virtualenvs (.venv-airflow, .venv-superset): each holds a whole pinned closure from
versions.toml, installed with pip --no-deps, and is rebuilt only when its pins change (a stamp file)."""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from lake import versions
from lake.errors import LakeError


def pins(section: str) -> list[str]:
    """Exact pins of one side virtualenv (versions.toml [<section>.packages])."""
    return [f"{name}=={version}" for name, version in versions.load()[section]["packages"].items()]


def install(venv: Path, reqs: list[str], what: str) -> str:
    """Create venv and install reqs when they changed since the last install; returns what was done."""
    stamp = hashlib.sha256("\n".join(reqs).encode()).hexdigest()
    stamp_file = venv / ".installed"
    if stamp_file.exists() and stamp_file.read_text() == stamp:
        return "cached"
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    req_file = venv / "requirements.txt"
    req_file.write_text("\n".join(reqs) + "\n")
    # --no-deps: the pin list is the whole closure, resolved once and recorded in versions.toml
    r = subprocess.run([str(venv / "bin" / "pip"), "install", "--no-deps", "--progress-bar", "on", "-r", str(req_file)])
    if r.returncode != 0:
        raise LakeError(f"installing {what} into {venv} failed; see pip's output above")
    stamp_file.write_text(stamp)
    return f"installed {len(reqs)} packages"
