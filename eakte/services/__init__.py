"""Use cases: one function per action; each checks access, acts and writes its audit event."""
