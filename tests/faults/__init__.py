"""Fault tests against real processes: kill -9, stopped S3/PostgreSQL/search, a full disk."""
