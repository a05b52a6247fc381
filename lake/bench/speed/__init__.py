"""make bench-speed's load, report and floor job."""
