"""The stack: one service class per daemon, the lifecycle (`lake up/down/status/logs`) and the install."""
