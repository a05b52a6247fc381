"""The topic browser's web app (Flask, served by gunicorn: `lake.console.app:create_app()`).

Pages: / (topics), /topics/<topic> (partitions, offsets, consumer groups and their lag),
/topics/<topic>/partitions/<n>?count=20&offset= (messages), /groups (every group's lag).
Each page answers JSON too with ?format=json. Only GET routes exist: nothing here writes to Kafka.
A user's mistake (unknown topic, offset out of range) is a one-line message with 404 or 400.
"""
from __future__ import annotations

from lake.console.kafka_view import BadRequest, Browser, NotFound
from lake.errors import LakeError


def create_app(bootstrap: str | None = None):
    from flask import Flask, jsonify, render_template, request

    from lake import settings

    s = settings.get()
    browser = Browser(bootstrap or s.kafka_bootstrap)
    app = Flask(__name__)

    def page(template: str, **data):
        if request.args.get("format") == "json":
            return jsonify(data)
        return render_template(template, bootstrap=browser.bootstrap, **data)

    def int_arg(name: str, default: int | None) -> int | None:
        raw = request.args.get(name, "")
        if raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise BadRequest(f"{name} must be a whole number, not {raw!r}") from None

    @app.errorhandler(LakeError)
    def lake_error(e: LakeError):
        status = 404 if isinstance(e, NotFound) else 400 if isinstance(e, BadRequest) else 503
        if request.args.get("format") == "json":
            return jsonify({"error": str(e)}), status
        return render_template("error.html", bootstrap=browser.bootstrap, message=str(e), status=status), status

    @app.errorhandler(404)
    def not_found(_e):
        return lake_error(NotFound(f"no page at {request.path}; start at /"))

    @app.get("/healthz")
    def healthz():
        return jsonify({"status": "ok"})

    @app.get("/")
    def topics():
        return page("topics.html", topics=browser.topics())

    @app.get("/topics/<topic>")
    def topic(topic: str):
        return page("topic.html", topic=browser.topic(topic))

    @app.get("/topics/<topic>/partitions/<int:partition>")
    def messages(topic: str, partition: int):
        return page("messages.html", result=browser.messages(topic, partition, int_arg("count", 20),
                                                             int_arg("offset", None)))

    @app.get("/groups")
    def groups():
        return page("groups.html", groups=browser.groups())

    return app
