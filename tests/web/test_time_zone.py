"""The pages show times in EAKTE_TIMEZONE, not in a zone of their own."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html

import pytest

from eakte.config import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A municipality far from Berlin: Tokyo keeps UTC+9 all year (no summer time)."""
    return dataclasses.replace(settings, timezone="Asia/Tokyo")


def test_the_protokoll_shows_events_in_the_configured_zone(town, clock, browser_for) -> None:
    noon = (clock() + dt.timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)
    clock.set(noon)  # 12:00 UTC: 21:00 in Tokyo, 13:00 or 14:00 in Berlin
    town.case_file()
    page = html.unescape(browser_for("audrey").get("/protokoll?aktion=case_file.create").text)
    assert f">{noon:%d.%m.%Y} 21:00:00</time>" in page
    assert " 12:00:00<" not in page and " 13:00:00<" not in page and " 14:00:00<" not in page


def test_a_day_filter_means_the_day_in_the_configured_zone(town, clock, browser_for) -> None:
    late = (clock() + dt.timedelta(days=1)).replace(hour=20, minute=0, second=0, microsecond=0)
    clock.set(late)  # 20:00 UTC is 05:00 the next morning in Tokyo
    town.case_file()
    audrey = browser_for("audrey")
    next_day = f"{late + dt.timedelta(days=1):%d.%m.%Y}"
    same_day = f"{late:%d.%m.%Y}"
    found = audrey.get(f"/protokoll?aktion=case_file.create&von={next_day}&bis={next_day}").text
    assert "Keine Ereignisse gefunden" not in found
    missed = audrey.get(f"/protokoll?aktion=case_file.create&von={same_day}&bis={same_day}").text
    assert "Keine Ereignisse gefunden" in missed
