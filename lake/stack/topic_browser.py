"""The read-only Kafka topic browser (lake/console) as a service of the stack: a Flask app under
gunicorn from the lake's .venv, on 127.0.0.1 (docs/dashboards.md)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from lake.runtime import probes
from lake.runtime.probes import ProbeResult
from lake.runtime.process import marker
from lake.stack.service import Service


class TopicBrowser(Service):
    name = "topic-browser"
    port_keys = ("topic_browser",)
    web_port_key = "topic_browser"
    start_timeout = 60
    log_to_stdout = True

    def argv(self) -> list[str]:
        return [sys.executable, "-X", marker(self.name), "-m", "gunicorn",
                "--bind", f"{self.s.bind_host}:{self.s.ports['topic_browser']}", "--workers", "1",
                "--worker-class", "gthread", "--threads", "4", "--timeout", "60", "--no-control-socket",
                "lake.console.app:create_app()"]

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(self.s.root)
        return env

    def cwd(self) -> Path | None:
        return self.s.root

    def probe(self) -> ProbeResult:
        url = f"http://{self.s.host}:{self.s.ports['topic_browser']}/healthz"
        return probes.http_check(url, lambda b: (b.get("status") == "ok", f"healthz={b}"))
