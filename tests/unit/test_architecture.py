"""The package layers of docs/architecture.md hold: import-linter (pinned in versions.toml) checks the
contracts in .importlinter, so an upward import or an import cycle fails `make test`."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_layers_and_no_cycles():
    lint = Path(sys.executable).parent / "lint-imports"
    assert lint.exists(), f"{lint} missing: import-linter is pinned in versions.toml; run `make venv`"
    r = subprocess.run([str(lint), "--no-cache", str(ROOT / ".importlinter")], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
