"""How the lake reaches and runs things: JVMs, pid files, readiness probes, spark-submit,
the SQL and WebHDFS clients, and rendering the daemons' config templates."""
