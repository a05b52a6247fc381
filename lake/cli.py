"""The lake's command line: `python -m lake <verb>`. The Makefile targets are thin calls into it."""
from __future__ import annotations

import argparse
import os
import sys

from lake.errors import LakeError, report


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lake", description="On-prem social-media data lake: stack lifecycle and tools.")
    sub = p.add_subparsers(dest="verb", required=True)
    sub.add_parser("install", help="resolve pinned JVM artifacts into var/lib (downloads only what is missing)")
    sub.add_parser("render", help="render daemon configs into var/conf")
    up = sub.add_parser("up", help="start the stack (idempotent)")
    up.add_argument("services", nargs="*", help="only these services (default: all, in order)")
    run = sub.add_parser("run", help="run one service in the foreground (container entry point)")
    run.add_argument("service")
    pr = sub.add_parser("probe", help="probe one service once; exit 0 when ready (container health check)")
    pr.add_argument("service")
    ps = sub.add_parser("post-steps", help="the set-up steps `up` runs after services (HDFS layout, Spark "
                                           "archive, Kafka topics, raw table); optionally only after the named ones")
    ps.add_argument("services", nargs="*")
    af = sub.add_parser("after-start", help="a service's idempotent set-up once it is ready (e.g. postgres roles)")
    af.add_argument("service")
    sub.add_parser("down", help="stop the stack")
    sub.add_parser("status", help="table of services: pid, port, health, memory, log, web UI")
    lg = sub.add_parser("logs", help="tail one service's log")
    lg.add_argument("service")
    lg.add_argument("-f", "--follow", action="store_true")
    lg.add_argument("-n", "--lines", type=int, default=50)
    cd = sub.add_parser("clean-data", help="stop the stack and delete all lake data (asks for confirmation)")
    cd.add_argument("--yes", action="store_true", help="do not ask (for scripts)")
    sub.add_parser("smoke", help="end-to-end smoke: WebHDFS, Kafka, Spark -> Hive -> Trino and Beeline")
    b = sub.add_parser("build", help="raw -> bronze -> silver -> gold for ingest dates, with quality gates")
    which = b.add_mutually_exclusive_group(required=True)
    which.add_argument("--date", help="one ingest date YYYY-MM-DD (the raw partition)")
    which.add_argument("--dates", help="comma-separated ingest dates (lake_batch's plan of pending dates)")
    which.add_argument("--from", dest="date_from", help="first ingest date of a range (with --to)")
    which.add_argument("--pending", action="store_true", help="every ingest date with raw files bronze has not loaded")
    b.add_argument("--to", dest="date_to", help="last ingest date of the range, inclusive")
    b.add_argument("--layers", default="bronze,silver,gold", help="comma-separated subset of bronze,silver,gold")
    b.add_argument("--schema-prefix", default="", help="build into <prefix>bronze, <prefix>silver, ... (tests)")
    b.add_argument("--json", action="store_true", help="print the build report as JSON at the end")
    cp = sub.add_parser("comply", help="apply pending X compliance events (tweets.compliance) to every layer; "
                                       "ledger ops.compliance_events")
    cp.add_argument("--schema-prefix", default="", help="<prefix>bronze, ..., <prefix>ops (tests)")
    cp.add_argument("--json", action="store_true", help="print the report as JSON at the end")
    sub.add_parser("demo-queries", help="run the demo/*.sql queries through Trino and print the results")
    sub.add_parser("demo-answers", help="the end of `make demo`: questions answered from gold through Trino, "
                                        "then the dashboard's and the topic browser's URLs")
    return p


def _build(s, args) -> int:
    import json
    from datetime import date

    from lake.pipeline import build

    def day(v: str, flag: str) -> str:
        try:
            return date.fromisoformat(v).isoformat()
        except (TypeError, ValueError):
            raise LakeError(f"{flag}={v!r} is not a date YYYY-MM-DD") from None

    dates = None
    if args.date:
        dates = [day(args.date, "DATE")]
    elif args.dates:
        dates = sorted({day(d.strip(), "DATES") for d in args.dates.split(",") if d.strip()})
        if not dates:
            raise LakeError("DATES is empty: give comma-separated ingest dates YYYY-MM-DD")
    elif args.date_from:
        if not args.date_to:
            raise LakeError("FROM needs TO (an inclusive range of ingest dates)")
        first, last = day(args.date_from, "FROM"), day(args.date_to, "TO")
        if first > last:
            raise LakeError(f"FROM={first} is after TO={last}")
        from spark.jobs.common import date_range

        dates = date_range(first, last)
    layers = tuple(x.strip() for x in args.layers.split(",") if x.strip())
    rep = build.run(s, dates=dates, pending=args.pending, layers=layers, dbs=build.Databases(args.schema_prefix))
    if args.json:
        print(json.dumps(rep.as_dict(), sort_keys=True, default=str))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from lake import settings

    s = settings.get()
    try:
        if args.verb == "install":
            from lake.stack import install

            install.install_all(s)
        elif args.verb == "render":
            from lake.runtime import config

            for f in config.render_all(s):
                print(f)
        elif args.verb == "up":
            from lake.stack import lifecycle as stack

            stack.up(s, only=args.services or None)
        elif args.verb == "run":
            from lake.stack import lifecycle as stack

            stack.run_foreground(s, args.service)
        elif args.verb == "probe":
            from lake.stack import lifecycle as stack

            return stack.probe_once(s, args.service)
        elif args.verb == "after-start":
            from lake.stack import services

            services.by_name(s, args.service).after_start()
            print(f"{args.service}: set-up done")
        elif args.verb == "post-steps":
            from lake.stack import lifecycle as stack

            stack.post_steps(s, only=args.services or None)
        elif args.verb == "down":
            from lake.stack import lifecycle as stack

            stack.down(s)
        elif args.verb == "status":
            from lake.stack import lifecycle as stack

            return stack.status(s)
        elif args.verb == "logs":
            from lake.stack import lifecycle as stack

            return stack.logs(s, args.service, args.follow, args.lines)
        elif args.verb == "clean-data":
            from lake.stack import lifecycle as stack

            stack.clean_data(s, confirmed=args.yes or os.environ.get("CONFIRM") == "yes")
        elif args.verb == "build":
            return _build(s, args)
        elif args.verb == "comply":
            import json

            from lake.pipeline import comply
            from lake.pipeline.layers import Databases

            rep = comply.run(s, dbs=Databases(args.schema_prefix))
            if args.json:
                print(json.dumps(rep.as_dict(), sort_keys=True, default=str))
        elif args.verb == "demo-queries":
            from lake.demos import queries as demo

            demo.run(s)
        elif args.verb == "demo-answers":
            from lake.demos import answers

            answers.run(s)
        elif args.verb == "smoke":
            from lake.demos import smoke

            smoke.run(s)
    except LakeError as e:
        from lake.pipeline.quality import GateFailed

        if isinstance(e, GateFailed):
            print(f"lake: error: {e}", file=sys.stderr)
            return 6
        return report("lake", e)
    except KeyboardInterrupt:
        print("lake: interrupted", file=sys.stderr)
        return 130
    return 0
