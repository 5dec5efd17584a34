"""Use cases: every change runs as one write transaction through the store."""
