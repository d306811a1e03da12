"""Object store adapters (filesystem, S3) and envelope encryption."""
