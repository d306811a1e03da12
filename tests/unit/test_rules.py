"""Aktenzeichen and retention dates."""

from __future__ import annotations

import datetime as dt

import pytest

from eakte.models.references import format_reference
from eakte.retention.policy import lock_checkpoint, lock_on_upload, retain_until


def test_reference_pads_the_running_number_to_four_digits():
    assert format_reference("32.10", 42, 2026) == "32.10-0042/2026"
    assert format_reference("32.10", 12345, 2026) == "32.10-12345/2026"


def test_running_numbers_start_at_one():
    with pytest.raises(ValueError):
        format_reference("32.10", 0, 2026)


@pytest.mark.parametrize(
    ("closed_on", "years", "expected"),
    [
        (dt.date(2026, 3, 3), 10, dt.date(2036, 12, 31)),
        (dt.date(2026, 12, 31), 10, dt.date(2036, 12, 31)),
        (dt.date(2027, 1, 1), 6, dt.date(2033, 12, 31)),
        (dt.date(2026, 7, 1), 0, dt.date(2026, 12, 31)),
    ],
)
def test_retention_runs_to_the_end_of_the_closing_year_plus_the_period(closed_on, years, expected):
    assert retain_until(closed_on, years) == expected


@pytest.mark.parametrize(
    ("stored_on", "years", "expected"),
    [
        (dt.date(2026, 3, 3), 10, dt.date(2036, 3, 3)),
        (dt.date(2024, 2, 29), 1, dt.date(2025, 2, 28)),  # no 29 February next year
        (dt.date(2026, 1, 31), 5, dt.date(2031, 1, 28)),
        (dt.date(2026, 7, 1), 0, dt.date(2026, 7, 1)),
    ],
)
def test_an_upload_is_locked_for_the_retention_period_from_its_day(stored_on, years, expected):
    assert lock_on_upload(stored_on, years) == expected


@pytest.mark.parametrize(
    ("issued_on", "expected"),
    [
        (dt.date(2026, 12, 6), dt.date(2056, 12, 1)),
        (dt.date(2028, 2, 29), dt.date(2058, 2, 1)),  # a leap day has no twin 30 years on
    ],
)
def test_a_checkpoint_copy_is_locked_from_the_first_of_its_month(issued_on, expected):
    assert lock_checkpoint(issued_on, 30) == expected
