"""Dates, times and sizes as the German pages show them, and dates as users type them.

The one place the web client turns instants into text and text into days. Instants
are shown in the municipality's zone (EAKTE_TIMEZONE, `ports.timezone`), never in a
fixed one. Every date field of every form is read by `parse_day`, which takes what
its hint asks for (TT.MM.JJJJ) and what a browser's date field sends (JJJJ-MM-TT).
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app

MISSING = "–"
_GERMAN_DAY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def zone() -> ZoneInfo:
    """The municipality's time zone (EAKTE_TIMEZONE)."""
    timezone: ZoneInfo = current_app.extensions["eakte"].timezone
    return timezone


def local(moment: dt.datetime) -> dt.datetime:
    """`moment` in the municipality's zone; a naive value is taken as UTC (as stored)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone())


def date_text(value: dt.date | dt.datetime | None) -> str:
    """05.03.2026; an instant on the local calendar day."""
    if value is None:
        return MISSING
    if isinstance(value, dt.datetime):
        value = local(value)
    return value.strftime("%d.%m.%Y")


def time_text(value: dt.datetime | None) -> str:
    """05.03.2026, 14:07 Uhr: when something happened to a case file or document."""
    if value is None:
        return MISSING
    return local(value).strftime("%d.%m.%Y, %H:%M Uhr")


def exact_time_text(value: dt.datetime | None) -> str:
    """05.03.2026 14:07:09: to the second, for the Protokoll and access credentials."""
    if value is None:
        return MISSING
    return local(value).strftime("%d.%m.%Y %H:%M:%S")


def valid_until_text(value: dt.datetime | None) -> str:
    """An end of validity as entered: "bis 31.03.2027" is stored as the next local midnight
    (the whole day counts) and shown as that last day; any other instant to the second."""
    if value is None:
        return MISSING
    moment = local(value)
    if moment.time() == dt.time():
        return date_text((moment - dt.timedelta(days=1)).date())
    return exact_time_text(value)


def parse_day(text: str) -> dt.date | None:
    """`31.12.2026` (typed, as the hint asks) or `2026-12-31` (a date field); else None."""
    german = _GERMAN_DAY.match(text)
    iso = _ISO_DAY.match(text)
    try:
        if german:
            day, month, year = (int(part) for part in german.groups())
            return dt.date(year, month, day)
        if iso:
            year, month, day = (int(part) for part in iso.groups())
            return dt.date(year, month, day)
    except ValueError:  # 31.02.2026
        return None
    return None


def size_text(size: int | None) -> str:
    """Human-readable size in German number format: 1,5 MB (binary units)."""
    if size is None:
        return MISSING
    if size < 1024:
        return f"{size} Byte"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            break
    return f"{value:.1f} {unit}".replace(".", ",")


def count_text(count: int, singular: str, plural: str) -> str:
    """1 Akte, 2 Akten, 0 Akten: a count with the German noun in the right number."""
    return f"{count} {singular if count == 1 else plural}"


def register(blp: Blueprint) -> None:
    """The filters the templates use (`akte_datum`, `akte_zeit`, ...) and `anzahl(n, …)`."""
    blp.add_app_template_filter(date_text, "akte_datum")
    blp.add_app_template_filter(time_text, "akte_zeit")
    blp.add_app_template_filter(exact_time_text, "akte_zeitpunkt")
    blp.add_app_template_filter(size_text, "akte_groesse")
    blp.add_app_template_filter(valid_until_text, "akte_gueltig_bis")
    blp.add_app_template_global(count_text, "anzahl")
