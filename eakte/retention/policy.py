"""Retention dates as German records practice counts them: pure functions."""

from __future__ import annotations

import datetime as dt


def retain_until(closed_on: dt.date, retention_years: int) -> dt.date:
    """Keep until 31 December of the closing year plus the retention period.

    The period starts with the end of the year in which the case file was
    closed (zdA), so a file closed on 3 March 2026 with 10 years is kept
    until 31 December 2036.
    """
    if retention_years < 0:
        raise ValueError("retention_years must not be negative")
    return dt.date(closed_on.year + retention_years, 12, 31)


def lock_on_upload(stored_on: dt.date, retention_years: int) -> dt.date:
    """How long the object store alone keeps a freshly stored version (S3 Object Lock).

    The retention period counted from the day of upload (day 29-31 becomes 28,
    so that every month has it): a floor the store enforces while the case
    file is still open; closing it extends the lock to `retain_until`.
    """
    return dt.date(stored_on.year + retention_years, stored_on.month, min(stored_on.day, 28))


def lock_checkpoint(issued_on: dt.date, years: int) -> dt.date:
    """How long the object store keeps a signed audit checkpoint's copy (S3 Object Lock).

    `years` counted from the first of the month it was issued in: every copy of one
    month shares a date, and 29 February never needs a twin.
    """
    return dt.date(issued_on.year + years, issued_on.month, 1)
