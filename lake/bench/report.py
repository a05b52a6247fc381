"""What every suite's run leaves, written one way: results.json, report.md, charts, the `latest` link.

Each suite renders its own Markdown (lake.bench.<suite>.report or the runner): the tables say
different things, and their text is compared with earlier runs' reports, so only the writing is shared.
"""
from __future__ import annotations

import json
import os
from pathlib import Path


def write_results(out_dir: Path, results: dict) -> Path:
    """results.json: every figure of the run (what the report is rendered from)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "results.json"
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return path


def write_report(out_dir: Path, text: str) -> Path:
    path = out_dir / "report.md"
    path.write_text(text)
    return path


def pyplot():
    """matplotlib's pyplot on the file-only backend (no display on a server)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_chart(fig, path: Path, dpi: int = 90) -> Path:
    """Save one figure and free it (a run draws many)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    pyplot().close(fig)
    return path


def point_latest(out_dir: Path, name: str) -> Path:
    """Atomically repoint <results>/<name> (ingest-latest, speed-latest, latest) at this run,
    relative, so the tree can move."""
    link = out_dir.parent / name
    tmp = out_dir.parent / f".{name}.tmp"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(out_dir.name)
    os.replace(tmp, link)
    return link
