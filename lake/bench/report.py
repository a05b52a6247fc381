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


def publish(out_dir: Path, results: dict, text: str, latest: str) -> None:
    """A suite's run written whole: results.json, report.md, the `latest` link; the report printed."""
    write_results(out_dir, results)
    write_report(out_dir, text)
    point_latest(out_dir, latest)
    print(text)
    print(f"report: {out_dir / 'report.md'}")


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


def stacked_stages(rows: list[tuple[str, dict[str, float]]], title: str, path: Path) -> str | None:
    """One horizontal bar per run, split into its named stages (seconds, one colour per stage name);
    the file's name, or None without matplotlib or rows."""
    try:
        plt = pyplot()
    except ImportError:
        return None
    if not rows:
        return None
    names = sorted({k for _, stages in rows for k in stages})
    fig, ax = plt.subplots(figsize=(9, 0.5 + 0.9 * len(rows)))
    for i, (_, stages) in enumerate(rows):
        left = 0.0
        for j, n in enumerate(names):
            v = stages.get(n, 0.0)
            ax.barh(i, v, left=left, color=plt.cm.tab10(j % 10) if len(names) <= 10 else plt.cm.tab20(j % 20),
                    label=n if i == 0 else None)
            left += v
    ax.set_yticks(range(len(rows)), [label for label, _ in rows])
    ax.set_xlabel("seconds (wall)")
    ax.set_title(title)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=2)
    fig.tight_layout()
    save_chart(fig, path, dpi=110)
    return path.name
