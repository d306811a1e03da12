"""Text extraction, search adapters and the indexing outbox."""
