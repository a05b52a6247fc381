# Superset's configuration for the lake (SUPERSET_CONFIG_PATH points here; docs/dashboards.md).
# Everything that differs between machines comes from the environment lake/superset_env.py sets:
# the metadata database (the stack's PostgreSQL, database `superset`), the signing key, the data dir.
import os

SECRET_KEY = os.environ["LAKE_SUPERSET_SECRET_KEY"]
SQLALCHEMY_DATABASE_URI = os.environ["LAKE_SUPERSET_DB_URI"]
DATA_DIR = os.environ["SUPERSET_HOME"]

# One gunicorn worker: a small pool is enough and keeps PostgreSQL's connection count low.
SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 5, "max_overflow": 5, "pool_pre_ping": True}

# Chart results cached in the worker's memory for 5 minutes: the speed layer's last minutes stay
# visible, and repeated dashboard loads do not re-run every Trino query.
CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 300}
DATA_CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 300}
FILTER_STATE_CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 86400}
EXPLORE_FORM_DATA_CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 86400}
RATELIMIT_STORAGE_URI = "memory://"

# Served on 127.0.0.1 over plain HTTP: no HTTPS redirect or strict cookies Talisman would add.
TALISMAN_ENABLED = False
SESSION_COOKIE_SECURE = False
# No example data, no telemetry from a machine without internet.
SUPERSET_LOAD_EXAMPLES = False
SCARF_ANALYTICS = False
FEATURE_FLAGS = {"DASHBOARD_NATIVE_FILTERS": True, "DASHBOARD_CROSS_FILTERS": True}
ROW_LIMIT = 10000
SUPERSET_WEBSERVER_TIMEOUT = 120
