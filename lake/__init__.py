"""The lake's own launcher and tools: install, up, down, status, logs."""
