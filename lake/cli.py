"""The lake's command line: `python -m lake <verb>`. The Makefile targets are thin calls into it."""
from __future__ import annotations

import os
import sys

from lake import arguments
from lake.errors import LakeError, report

# The make variables behind the options (`make build DATE=...`), named in one-line errors.
VARIABLES = {"--name": "NAME", "--groups": "GROUP", "--date": "DATE", "--dates": "DATES", "--from": "FROM", "--to": "TO", "--layers": "LAYERS"}


def _parser() -> arguments.Parser:
    p = arguments.Parser(prog="lake", variables=VARIABLES,
                         description="On-prem social-media data lake: stack lifecycle and tools.")
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
    # where a sandbox's pipeline lives (tests, lake_batch__<tag>'s comply task); the lake's own by default
    cp.add_argument("--topic", help="the compliance topic (default tweets.compliance)")
    cp.add_argument("--group", help="its consumer group (default lake-comply)")
    cp.add_argument("--raw-root", help="the raw zone (default /lake/raw/tweets)")
    cp.add_argument("--rejected-root", help="the raw sink's reject zone (default /lake/raw/_rejected/tweets)")
    cp.add_argument("--dlq-topic", help="the dead-letter topic (default tweets.dlq)")
    us = sub.add_parser("user", help="add a Trino login or change its password and groups (password from "
                                     "TRINO_PASSWORD or a prompt, never the command line)")
    us.add_argument("--name", required=True, help="the login")
    us.add_argument("--groups", required=True, help="comma-separated: engineers, pii, analysts")
    us.add_argument("--remove", action="store_true", help="remove the login instead")
    sub.add_parser("demo-queries", help="run the demo/*.sql queries through Trino and print the results")
    sub.add_parser("demo-answers", help="the end of `make demo`: questions answered from gold through Trino, "
                                        "then the dashboard's and the topic browser's URLs")
    # Everything after these two verbs is the client's own (bin/trino, bin/beeline): see main().
    sub.add_parser("sql", help="the Trino CLI on the lake, catalog hive (its options follow: --execute ...)")
    sub.add_parser("beeline", help="Beeline on the Spark Thrift Server (its options follow: -e ...)")
    return p


def _build(s, args) -> int:
    import json
    from datetime import date

    from lake.pipeline import build

    from lake.errors import UsageError
    from lake.pipeline.layers import LAYERS

    day = arguments.iso_date
    layers = arguments.subset(args.layers, "LAYERS", LAYERS)
    dates = None
    if args.date:
        dates = [day(args.date, "DATE")]
    elif args.dates:
        dates = sorted({day(d.strip(), "DATES") for d in args.dates.split(",") if d.strip()})
        if not dates:
            raise UsageError("DATES is empty: give comma-separated ingest dates YYYY-MM-DD")
    elif args.date_from:
        if not args.date_to:
            raise UsageError("FROM needs TO (an inclusive range of ingest dates)")
        first, last = day(args.date_from, "FROM"), day(args.date_to, "TO")
        if first > last:
            raise UsageError(f"FROM={first} is after TO={last}: give FROM <= TO")
        from spark.jobs.common import date_range

        dates = date_range(first, last)
    _command_log(s, "build")
    rep = build.run(s, dates=dates, pending=args.pending, layers=layers, dbs=build.Databases(args.schema_prefix))
    if args.json:
        print(json.dumps(rep.as_dict(), sort_keys=True, default=str))
    return 0


def _user(s, args) -> int:
    """`make user NAME=... GROUP=...`: Trino re-reads the password and group files within seconds."""
    from lake.stack import trino_security

    groups = [g.strip() for g in args.groups.split(",") if g.strip()]
    if args.remove:
        trino_security.remove_user(s, args.name)
        print(f"trino: login {args.name!r} removed")
        return 0
    trino_security.check_user(args.name, groups)
    new = trino_security.set_user(s, args.name, groups, trino_security.read_new_password())
    print(f"trino: login {args.name!r} {'added' if new else 'changed'}, groups {', '.join(groups) or '-'} "
          f"(hash in {s.trino_password_file}); log in: TRINO_USER={args.name} bin/trino, or "
          f"{s.trino_url}/ui/")
    return 0


def _command_log(s, verb: str) -> None:
    """Client libraries' and spark-submit's logs go to var/log/commands/<verb>.log, not the terminal."""
    from lake.runtime import faults

    faults.command_log(s, verb, prog="lake")


def _client(verb: str, extra: list[str]) -> int:
    """`make sql` / `make beeline` (bin/trino, bin/beeline): the client, with the lake's address, user,
    catalog and Java, replaces this process (its prompt, its output, its exit status). A service that is
    not listening is one line instead of the client's stack trace."""
    from lake import settings
    from lake.runtime import clients, faults, probes

    s = settings.get()
    try:
        ep = clients.trino_endpoint(s) if verb == "sql" else clients.thrift_endpoint(s)
        host, _, port = ep.address.split("://")[-1].rpartition(":")
        if not probes.port_open(host, int(port)).ok:
            raise faults.gave_up(ep, 0, "nothing listens on its port")
        if verb == "sql":
            argv, env = clients.trino_cli_argv(s, extra), clients.trino_cli_env(s)
        else:
            argv, env = clients.beeline_argv(s, extra), clients.beeline_env(s)
    except LakeError as e:
        return report(f"lake {verb}", e)
    clients.exec_client(argv, env)
    return 0  # not reached: exec


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] in (["sql"], ["beeline"]):  # the rest is the client's own options, untouched
        return _client(argv[0], argv[1:])
    args = _parser().parse_args(argv)
    from lake import settings

    s = settings.get()
    if args.verb in ("up", "post-steps", "smoke", "demo-queries"):  # build: once its arguments are checked
        _command_log(s, args.verb)
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

            where = {k: getattr(args, k) for k in ("topic", "group", "raw_root", "rejected_root", "dlq_topic")
                     if getattr(args, k)}
            rep = comply.run(s, dbs=Databases(args.schema_prefix), **where)
            if args.json:
                print(json.dumps(rep.as_dict(), sort_keys=True, default=str))
        elif args.verb == "user":
            return _user(s, args)
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
    except OSError as e:
        # A service or a file a user can fix (connection refused, a missing file): one line here, the
        # traceback in the command's log for whoever debugs it.
        return _unexpected_os_error(s, args.verb, e)
    return 0


def _unexpected_os_error(s, verb: str, e: OSError) -> int:
    import traceback

    from lake.runtime import faults

    path = faults.log_path() or faults.command_log(s, verb, prog="lake")
    faults.log.error("%s", "".join(traceback.format_exception(e)))
    print(f"lake: error: {verb}: {faults.short(e)}; check `make status` (traceback in {path})", file=sys.stderr)
    return 1
