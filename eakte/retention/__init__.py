"""Retention evaluation, legal holds, disposition runs and archive export."""
