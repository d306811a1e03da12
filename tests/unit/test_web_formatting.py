"""`eakte.web.formatting`: dates in the configured zone, one parser for typed dates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from eakte.web.formatting import (
    date_text,
    exact_time_text,
    parse_day,
    size_text,
    time_text,
    valid_until_text,
)

NOON_UTC = dt.datetime(2026, 3, 5, 12, 0, 7, tzinfo=dt.UTC)


@pytest.fixture
def zone_of_app(request: pytest.FixtureRequest) -> Iterator[None]:
    """An app whose ports carry only the zone (EAKTE_TIMEZONE) the filters read."""
    app = Flask(__name__)
    app.extensions["eakte"] = SimpleNamespace(timezone=ZoneInfo(request.param))
    with app.app_context():
        yield


@pytest.mark.parametrize(
    ("zone_of_app", "date", "time", "exact"),
    [
        ("Europe/Berlin", "05.03.2026", "05.03.2026, 13:00 Uhr", "05.03.2026 13:00:07"),
        ("Asia/Tokyo", "05.03.2026", "05.03.2026, 21:00 Uhr", "05.03.2026 21:00:07"),
        ("America/Los_Angeles", "05.03.2026", "05.03.2026, 04:00 Uhr", "05.03.2026 04:00:07"),
        ("Pacific/Kiritimati", "06.03.2026", "06.03.2026, 02:00 Uhr", "06.03.2026 02:00:07"),
    ],
    indirect=["zone_of_app"],
)
def test_instants_are_shown_in_the_configured_zone(zone_of_app, date, time, exact) -> None:
    assert date_text(NOON_UTC) == date  # the calendar day there, not in UTC
    assert time_text(NOON_UTC) == time
    assert exact_time_text(NOON_UTC) == exact


@pytest.mark.parametrize("zone_of_app", ["Asia/Tokyo"], indirect=True)
def test_a_naive_instant_is_read_as_utc_and_nothing_is_a_dash(zone_of_app) -> None:
    assert exact_time_text(NOON_UTC.replace(tzinfo=None)) == "05.03.2026 21:00:07"
    assert date_text(None) == time_text(None) == exact_time_text(None) == "–"


def test_a_calendar_day_is_shown_as_it_is() -> None:
    assert date_text(dt.date(2026, 12, 31)) == "31.12.2026"


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("31.12.2026", dt.date(2026, 12, 31)),  # what the hint asks for
        ("1.2.2026", dt.date(2026, 2, 1)),
        ("2026-12-31", dt.date(2026, 12, 31)),  # what a browser's date field sends
    ],
)
def test_typed_dates_are_read_as_the_hint_says(typed: str, day: dt.date) -> None:
    assert parse_day(typed) == day


@pytest.mark.parametrize(
    "typed",
    ["", "gestern", "31.02.2026", "2026-02-30", "20261231", "2026-W01-1", "12/31/2026", "2026-1-1"],
)
def test_anything_else_is_no_date(typed: str) -> None:
    assert parse_day(typed) is None


@pytest.mark.parametrize(
    ("size", "text"),
    [(None, "–"), (0, "0 Byte"), (1023, "1023 Byte"), (1536, "1,5 KB"), (2 * 1024**3, "2,0 GB")],
)
def test_sizes_in_german_number_format(size: int | None, text: str) -> None:
    assert size_text(size) == text


@pytest.mark.parametrize("zone_of_app", ["Europe/Berlin"], indirect=True)
def test_an_end_of_validity_shows_the_last_day_entered(zone_of_app) -> None:
    # "Gültig bis 31.03.2027" is stored as the next local midnight (summer time: 22:00 UTC).
    stored = dt.datetime(2027, 3, 31, 22, 0, tzinfo=dt.UTC)
    assert valid_until_text(stored) == "31.03.2027"
    assert valid_until_text(dt.datetime(2027, 3, 31, 12, 30, tzinfo=dt.UTC)) == (
        "31.03.2027 14:30:00"
    )
    assert valid_until_text(None) == "–"
