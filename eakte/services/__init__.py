"""Use cases: each checks access, does the work and records its audit event.

How a use case gets hold of one object (the same four words in every module):

- `get_<thing>(ctx, key)`: the object a request addresses (`GET /things/{key}`).
  Checks access, audits the read; unknown or hidden → 404 (`audit.not_found`).
- `require_<thing>(ctx, key, ..., action)`: the object another use case works on.
  Unknown or hidden → 404, too little access → 403, both audited under `action`.
- `named_<thing>(ctx, key, field=...)`: an object named in a request body. Unknown
  → 422 on that field (bad input, not a missing resource); the use case audits.
- `find_<thing>(ctx, key)`: a plain lookup, the object or None. No access check,
  no audit: for use cases that decide themselves what absence means.
"""
