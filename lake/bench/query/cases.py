"""Loads benchmarks/cases.yaml and renders the query templates (benchto-style `${name}` placeholders)."""
from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path

from lake.settings import ROOT

BENCH_DIR = ROOT / "benchmarks"
CASES_FILE = BENCH_DIR / "cases.yaml"
QUERIES_DIR = BENCH_DIR / "queries"
ENGINES = ("trino", "spark", "duckdb")


class CaseError(ValueError):
    pass


@dataclass(frozen=True)
class Layout:
    name: str
    format: str
    codec: str
    partitioned_by: tuple[str, ...] = ()
    bucketed_by: tuple[str, ...] = ()
    bucket_count: int = 0
    writer: str = "trino"
    sort: str | None = None
    small_files: bool = False
    compact: bool = False
    statistics: bool = True
    stripes_per_file: int = 0       # Spark-written ORC: stripes per file (0: the writer's default)


@dataclass(frozen=True)
class Case:
    scale: str
    rows: int
    chunks: int
    small_files: int
    warmup_runs: int
    runs: int
    layouts: dict[str, Layout]
    queries: tuple[str, ...]
    factors: dict[str, dict]
    data: dict
    params: dict
    goals: list[dict]
    compaction: dict
    peers: dict = field(default_factory=dict)
    trino_session: dict = field(default_factory=dict)   # SET SESSION for every timed Trino query

    def schema(self, layout: str) -> str:
        return schema_name(self.scale, layout)

    @property
    def base_schema(self) -> str:
        return schema_name(self.scale, "base")

    def as_dict(self) -> dict:
        return {"scale": self.scale, "rows": self.rows, "chunks": self.chunks, "small_files": self.small_files,
                "warmup_runs": self.warmup_runs, "runs": self.runs, "layouts": list(self.layouts),
                "queries": list(self.queries), "factors": self.factors, "data": self.data, "params": self.params,
                "compaction": self.compaction, "peers": self.peers, "trino_session": self.trino_session,
                "layout_specs": {n: dict(lay.__dict__) for n, lay in self.layouts.items()}}


def schema_name(scale: str, layout: str) -> str:
    return f"bench_{scale}_{layout}"


def _layout(name: str, spec: dict) -> Layout:
    known = set(Layout.__dataclass_fields__) - {"name"}
    unknown = set(spec) - known
    if unknown:
        raise CaseError(f"layout {name}: unknown key(s) {', '.join(sorted(unknown))}")
    spec = dict(spec)
    for k in ("partitioned_by", "bucketed_by"):
        spec[k] = tuple(spec.get(k, ()))
    return Layout(name=name, **spec)


def scales(path: Path = CASES_FILE) -> list[str]:
    import yaml

    return list(yaml.safe_load(path.read_text())["scales"])


def load(scale: str, path: Path = CASES_FILE, layouts: list[str] | None = None,
         queries: list[str] | None = None) -> Case:
    import yaml

    doc = yaml.safe_load(path.read_text())
    if scale not in doc["scales"]:
        raise CaseError(f"unknown SCALE={scale!r}; use one of: {', '.join(doc['scales'])}")
    sc = doc["scales"][scale]
    all_layouts = {n: _layout(n, spec) for n, spec in doc["layouts"].items()}
    names = layouts or sc.get("layouts") or list(all_layouts)
    queries = tuple(queries or sc.get("queries") or doc["queries"])
    for n in names:
        if n not in all_layouts:
            raise CaseError(f"scale {scale}: unknown layout {n!r}")
    for q in queries:
        if not (QUERIES_DIR / f"{q}.sql").is_file():
            raise CaseError(f"query {q!r} has no file {QUERIES_DIR / (q + '.sql')}")
    for fname, f in doc["factors"].items():
        missing = [n for n in [f["baseline"], *f["layouts"]] if n not in all_layouts]
        if missing:
            raise CaseError(f"factor {fname}: unknown layout(s) {', '.join(missing)}")
    # Only the factors whose layouts this scale builds are compared.
    factors = {k: v for k, v in doc["factors"].items() if v["baseline"] in names and
               any(n in names and n != v["baseline"] for n in v["layouts"])}
    return Case(scale=scale, rows=int(sc["rows"]), chunks=int(sc["chunks"]), small_files=int(sc["small_files"]),
                warmup_runs=int(sc["warmup_runs"]), runs=int(sc["runs"]),
                layouts={n: all_layouts[n] for n in names}, queries=queries, factors=factors,
                data=doc["data"], params=doc["params"], goals=doc["goals"], compaction=doc["compaction"],
                peers=doc["peers"], trino_session={str(k): str(v) for k, v in (doc.get("trino_session") or {}).items()})


def query_text(name: str, engine: str = "trino", queries_dir: Path = QUERIES_DIR) -> str:
    """The engine's own spelling if queries/<engine>/<name>.sql exists, else the shared one."""
    own = queries_dir / engine / f"{name}.sql"
    return (own if own.is_file() else queries_dir / f"{name}.sql").read_text()


def access_pattern(sql: str) -> str:
    """The 'Access pattern: ...' sentence of the query's leading comment."""
    for line in sql.splitlines():
        line = line.strip()
        if line.startswith("--") and "Access pattern:" in line:
            return line.split("Access pattern:", 1)[1].strip().split(".")[0]
    return ""


def render(sql: str, values: dict[str, str]) -> str:
    """Substitute ${name}; a placeholder without a value is an error, never left in the SQL."""
    try:
        return string.Template(sql).substitute(values)
    except KeyError as e:
        raise CaseError(f"query placeholder ${{{e.args[0]}}} has no value") from None
