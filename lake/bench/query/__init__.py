"""make bench's (query) cases, layouts, engines, analysis and report."""
