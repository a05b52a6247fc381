# The lake's lifecycle. Every target is a thin call into the project's CLI
# (`python -m lake ...`) and is safe to run twice. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_SYS ?= python3
VENV       := .venv
PY         := $(VENV)/bin/python
LAKE       := $(PY) -m lake
MODE       ?= native
SERVICE    ?= trino
SOURCE     ?= synthetic
COUNT      ?= 100000
SEED       ?= 0
DAYS       ?= 30
FORMAT     ?= v2
FILES      ?=
RATE       ?= 0
MQTT_SOURCE ?= replay
QUERY      ?= \#Santander
SCALE      ?= small
TABLE      ?=
PARTITIONS ?=
TARGET_MB  ?= 128
GRACE      ?= 30
PYTEST_ARGS ?=
BENCH_ARGS ?=
# What `make up` does to Airflow's DAG schedules: on (default: the batch layer runs hourly by itself),
# off (paused: benchmarks), keep (as they are; new DAGs paused). The test targets default to keep.
SCHEDULE   ?= on

COMPOSE    := docker-compose -f hadoop-cluster/docker-compose.yml --project-directory .

.PHONY: help install venv up down status logs clean-data smoke demo test test-lambda test-unit test-integration render ingest build comply bench-model bench-ingest airflow-install airflow airflow-batch bench-speed bench-build bench-comply bench-scale superset-install dashboards

help: ## Show the targets and their variables
	@echo "Usage: make <target> [VAR=value]"
	@echo
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'
	@echo
	@echo "Variables:"
	@echo "  up/down/status  MODE=native|docker"
	@echo "  logs            SERVICE=postgres|namenode|datanode|resourcemanager|nodemanager|metastore|kafka|thriftserver|trino|raw-sink|speed-layer|airflow-apiserver|airflow-scheduler|airflow-dag-processor|superset|topic-browser"
	@echo "  ingest          SOURCE=synthetic (default): COUNT=100000 SEED=0 DAYS=30 FORMAT=v2|v1"
	@echo "                  DELETES=0.02: that share of the synthetic tweets is later deleted (events to tweets.compliance)"
	@echo "                  SOURCE=replay: FILES='<file or dir> ...' RATE=<tweets/s, 0 = unlimited>"
	@echo "                  SOURCE=x: QUERY='#Santander', token in X_BEARER_TOKEN (never in a file)"
	@echo "                  SOURCE=mqtt: FILES=... RATE=... published to MQTT tweets/<MQTT_SOURCE> (default replay),"
	@echo "                  carried to Kafka by the mqtt-bridge service"
	@echo "                  SOURCE=compliance: FILES=<X compliance events, JSON Lines> -> tweets.compliance"
	@echo "                  SOURCE=x-compliance: FILES='tweets=<ids file> users=<ids file>', X batch compliance jobs (X_BEARER_TOKEN)"
	@echo "  build           DATE=YYYY-MM-DD (ingest date = raw partition) | FROM=... TO=... | nothing = all pending;"
	@echo "                  LAYERS=bronze,silver,gold (default all)"
	@echo "  bench-ingest    SCALE=tiny|small|medium|large (default small, ~5 min; cases in benchmarks/ingest/cases.yaml)"
	@echo "  bench           SCALE=tiny|small|medium|large (default small: 0.2M tweets; medium 2M, large 20M;"
	@echo "                  cases in benchmarks/cases.yaml, protocol and timings in docs/benchmarks.md)"
	@echo "  compact         TABLE=schema.table (required) PARTITIONS='k=v[/k2=v2],...' (default all) TARGET_MB=128 GRACE=30 (s)"
	@echo "  airflow-batch   DATE=YYYY-MM-DD (the ingest date; runs airflow dags test lake_batch DATE+1)"
	@echo "  bench-build     SCALE=tiny|small|medium (default small: 0.1M tweets over 30 days; medium 1M); NO_MONTH=1: transforms and replay only"
	@echo "  bench-comply    SCALE=tiny|small|medium (default small: 1,000 deletes + 10 users on 0.1M tweets; medium 1M); cases in benchmarks/comply/cases.yaml"
	@echo "  bench-scale     SCALE=medium (the default; cases in benchmarks/scale/cases.yaml: layouts, phases, the extra worker's port)"
	@echo "  bench-speed     BENCH_SPEED_ARGS='--trigger 10' (cases in benchmarks/speed/cases.yaml; results in benchmarks/results/speed-*)"
	@echo "  test            PYTEST_ARGS='-k kafka'"
	@echo "  sql, beeline    Q='SELECT ...' runs one statement and exits (default: an interactive prompt)"
	@echo "  any             LAKE_PORT_<NAME>=<port> moves a port (names in lake/settings.py)"

# ---- installation ---------------------------------------------------------
# The virtualenv is rebuilt only when versions.toml changes.
$(VENV)/.installed: versions.toml lake/versions.py
	@if ! $(PYTHON_SYS) -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then \
	  echo "lake: error: Python 3.11+ is needed as '$(PYTHON_SYS)' (set PYTHON_SYS=...)"; exit 1; fi
	@if [ ! -x $(PY) ]; then \
	  $(PYTHON_SYS) -m venv $(VENV) 2>/dev/null || { \
	    if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q python3-venv && $(PYTHON_SYS) -m venv $(VENV); \
	    else echo "lake: error: cannot create a virtualenv: install python3-venv (sudo apt-get install python3-venv)"; exit 1; fi; }; fi
	@echo "== installing pinned Python packages into $(VENV) (pyspark is ~450 MB on a cold cache)"
	$(PY) -m pip install --quiet --upgrade pip
	$(PYTHON_SYS) lake/versions.py requirements > $(VENV)/requirements.txt
	$(PY) -m pip install --progress-bar on -r $(VENV)/requirements.txt
	@touch $@

venv: $(VENV)/.installed

install: venv ## Install everything missing: Debian packages (as root), .venv, Maven artifacts, .venv-airflow
	@echo "== resolving JVM artifacts (downloads only what is missing)"
	$(LAKE) install
	@$(MAKE) --no-print-directory airflow-install
	@$(MAKE) --no-print-directory superset-install

airflow-install: venv ## Airflow's own virtualenv .venv-airflow from versions.toml [airflow.packages] (~3 min cold)
	@echo "== Airflow virtualenv (installs only when the pins changed)"
	$(PY) -m lake.airflow_env install

superset-install: venv ## Superset's own virtualenv .venv-superset from versions.toml [superset.packages] (~1.5 min cold)
	@echo "== Superset virtualenv (installs only when the pins changed)"
	$(PY) -m lake.superset_env install

dashboards: venv ## Import the dashboards in superset/ into the running Superset again (`make up` does it too; idempotent)
	$(PY) -m lake.superset_env import

render: venv ## Render daemon configs into var/conf
	$(LAKE) render

# ---- SQL clients ------------------------------------------------------------
# Q reaches the client through the environment, so its quotes and commas survive make and the shell.
export Q
.PHONY: sql beeline

sql: venv ## The Trino CLI on the lake, catalog hive, with the Java it needs (Q="SELECT ..." for one statement)
	@bin/trino $(if $(Q),--execute "$$Q",)

beeline: venv ## Beeline on the Spark Thrift Server (Q="SELECT ..." for one statement)
	@bin/beeline $(if $(Q),--silent=true -e "$$Q",)

# ---- Trino logins (docs/security.md) ------------------------------------------
NAME  ?=
GROUP ?=
.PHONY: user
user: venv ## Add a Trino login or change its password and groups: NAME=alice GROUP=analysts[,pii] (password: TRINO_PASSWORD or a prompt)
	@$(LAKE) user --name "$(NAME)" --groups "$(GROUP)"

# ---- stack lifecycle --------------------------------------------------------
up: ## Start the stack (idempotent; MODE=docker uses the compose file; SCHEDULE=on|off|keep for the DAGs)
ifeq ($(MODE),docker)
	$(COMPOSE) up -d --build
else
	@$(MAKE) --no-print-directory install
	LAKE_AIRFLOW_SCHEDULE=$(SCHEDULE) $(LAKE) up
endif

down: ## Stop the stack
ifeq ($(MODE),docker)
	$(COMPOSE) down
else
	@if [ -x $(PY) ]; then $(LAKE) down; fi
endif

status: venv ## Table of services: pid, ports, health, memory, log, web UI
ifeq ($(MODE),docker)
	$(COMPOSE) ps
else
	@$(LAKE) status
endif

logs: venv ## Tail one service's log (SERVICE=namenode|datanode|...|trino)
	$(LAKE) logs $(SERVICE) -f

clean-data: venv ## Stop the stack and delete all lake data (asks to confirm; CONFIRM=yes skips)
	$(LAKE) clean-data

ingest: venv ## Tweets -> Kafka -> HDFS raw zone. SOURCE=synthetic|replay|x|mqtt|compliance|x-compliance (see the variables below)
	$(PY) -m ingestion --source $(SOURCE) --count $(COUNT) --seed $(SEED) --days $(DAYS) --format $(FORMAT) \
	  --rate $(RATE) --query '$(QUERY)' --mqtt-source '$(MQTT_SOURCE)' $(if $(FILES),--files $(FILES),) \
	  $(if $(DELETES),--deletes $(DELETES),)

build: venv ## raw -> bronze -> silver -> gold with quality gates (DATE=, FROM= TO=, default: all pending)
	$(LAKE) build $(if $(DATE),--date $(DATE),$(if $(FROM),--from $(FROM) --to $(TO),--pending)) \
	  $(if $(LAYERS),--layers $(LAYERS),)

comply: venv ## Apply pending X compliance events (make ingest SOURCE=compliance) to raw, bronze, silver, gold, speed; ledger ops.compliance_events
	$(LAKE) comply

bench-model: venv ## Same business questions on raw JSON vs the gold star schema vs marts (after ingest + build)
	$(PY) -m benchmarks.modeling.run

bench-ingest: venv ## Ingestion benchmark: our producer and sink vs Kafka's own tools (SCALE=tiny|small|medium)
	$(PY) -m benchmarks.ingest.run --scale $(SCALE)

bench: venv ## Query benchmark: layouts x access patterns on Trino, Spark SQL and DuckDB peers (SCALE=...)
	$(PY) -m benchmarks.query.run --scale $(SCALE) $(BENCH_ARGS)

compact: venv ## Rewrite small files of a table's partitions into TARGET_MB files, atomically (TABLE=schema.table)
	$(PY) -m lake.pipeline.compact --table '$(TABLE)' --partitions '$(PARTITIONS)' --target-mb $(TARGET_MB) --grace-seconds $(GRACE)

airflow: install ## Start only Airflow (api-server on 127.0.0.1:8090, scheduler, dag-processor); `make up` starts it too
	$(LAKE) up postgres airflow-apiserver airflow-scheduler airflow-dag-processor

airflow-batch: venv ## Run the lake_batch DAG once for DATE=YYYY-MM-DD (an ingest date) with `airflow dags test`
	$(PY) -m lake.airflow_env run-batch --date $(DATE)

bench-speed: venv ## Speed-layer benchmark: freshness through serving.tweets, micro-batch durations, and the stream's floor without transforms (docs/serving.md)
	$(PY) -m benchmarks.speed.run $(BENCH_SPEED_ARGS)

bench-comply: venv ## Compliance benchmark: 1,000 deletes + 10 user deletes applied to a built 30-day lake, per stage and in bytes (SCALE=tiny|small|medium)
	$(PY) -m benchmarks.comply.run --scale $(SCALE)

bench-scale: venv ## Query benchmark on 1 and 2 Trino workers side by side (a second worker joins this host for the run; benchmarks/scale/cases.yaml)
	$(PY) -m benchmarks.scale.run $(if $(filter command line environment,$(origin SCALE)),--scale $(SCALE))

bench-build: venv ## Build-engine benchmark: make build per stage, transforms alone, one new hour on a built month, 500 dates vs one (SCALE=tiny|small|medium)
	$(PY) -m benchmarks.build.run --scale $(SCALE) $(if $(NO_MONTH),--no-month,)

smoke: up ## End-to-end smoke: WebHDFS, Kafka, Spark -> Hive -> Trino and Beeline
	$(LAKE) smoke

DEMO_COUNT ?= 20000
demo: smoke ## Fresh machine to a working lake: install, up, smoke, ingest, queries, speed + batch paths, answers + dashboard URL
	$(PY) -m ingestion --source synthetic --count $(DEMO_COUNT) --seed 2024
	$(LAKE) demo-queries
	$(PY) -m lake.demos.lambda_demo
	$(LAKE) demo-answers

# ---- tests ------------------------------------------------------------------
test: install ## The test suite: unit tests, then integration tests against the real stack
	LAKE_AIRFLOW_SCHEDULE=$${LAKE_AIRFLOW_SCHEDULE:-keep} $(PY) -m pytest tests/unit tests/integration $(PYTEST_ARGS)

test-lambda: install ## The lambda story through Airflow alone (tests/integration/test_lambda.py, ~30 min; also in make test)
	LAKE_AIRFLOW_SCHEDULE=$${LAKE_AIRFLOW_SCHEDULE:-keep} $(PY) -m pytest tests/integration/test_lambda.py -m lambda_e2e $(PYTEST_ARGS)

test-unit: venv ## Unit tests only (no services)
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

test-integration: install ## Integration tests only (starts or reuses the stack)
	LAKE_AIRFLOW_SCHEDULE=$${LAKE_AIRFLOW_SCHEDULE:-keep} $(PY) -m pytest tests/integration $(PYTEST_ARGS)
