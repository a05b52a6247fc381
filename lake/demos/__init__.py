"""What `make demo` and `make smoke` show: the smoke run, the demo queries, the lambda story."""
