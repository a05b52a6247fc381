"""Imports the lake's dashboards bundle into Superset so that it is the truth: every database,
dataset, chart and dashboard in it is created, or overwritten when its UUID exists.

Run by lake/superset_env.py with .venv-superset's Python: `python superset/import_bundle.py <zip> <user>`.
Why not `superset import-dashboards`: it overwrites the dashboard but imports its charts, datasets
and database with overwrite=False, so an edited chart in the repo would never reach a Superset that
already has it. Each kind is imported here by its own command with overwrite=True, in dependency
order; each command reads only its own folder of the bundle and wants metadata.yaml to name its type.
The Trino login's password comes from LAKE_SUPERSET_TRINO_PASSWORD (set by lake/superset_env.py), so
the bundle zip holds none.
"""
import os
import sys
import zipfile

import yaml


def main(path: str, username: str) -> int:
    from superset.app import create_app

    app = create_app()
    with app.app_context():
        from flask import g

        from superset import security_manager
        from superset.commands.chart.importers.v1 import ImportChartsCommand
        from superset.commands.dashboard.importers.v1 import ImportDashboardsCommand
        from superset.commands.database.importers.v1 import ImportDatabasesCommand
        from superset.commands.dataset.importers.v1 import ImportDatasetsCommand
        from superset.commands.importers.v1.utils import get_contents_from_bundle

        g.user = security_manager.find_user(username=username)
        with zipfile.ZipFile(path) as zf:
            contents = get_contents_from_bundle(zf)
        metadata = yaml.safe_load(contents["metadata.yaml"])
        for command, model in ((ImportDatabasesCommand, "Database"), (ImportDatasetsCommand, "SqlaTable"),
                               (ImportChartsCommand, "Slice"), (ImportDashboardsCommand, "Dashboard")):
            own = dict(contents, **{"metadata.yaml": yaml.safe_dump({**metadata, "type": model})})
            passwords = {"databases/lake_trino.yaml": os.environ["LAKE_SUPERSET_TRINO_PASSWORD"]} \
                if model == "Database" and os.environ.get("LAKE_SUPERSET_TRINO_PASSWORD") else None
            command(own, overwrite=True, passwords=passwords).run()
            print(f"imported {model} objects (overwrite)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
