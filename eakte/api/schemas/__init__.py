"""Marshmallow schemas: the shapes of the HTTP API (never the ORM models)."""
