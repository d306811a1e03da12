"""Protokoll (Revision): Ereignisse, Prüfung der Protokollkette, Export.

Auditors only: the services check the role and audit every query, verification
and export. The page never links to case files or documents: an auditor sees
who did what and when, not the content.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from flask import Response, make_response, render_template, request

from eakte.models.vocabulary import Outcome
from eakte.services import audit_queries, audit_verification
from eakte.web.blueprint import blp
from eakte.web.session import ctx, signed_in

if TYPE_CHECKING:
    from eakte.evidence.verify import Verification

BERLIN = ZoneInfo("Europe/Berlin")
PAGE_SIZE = 50
MEDIA = {"jsonl": "application/jsonl", "csv": "text/csv"}

OUTCOME_LABELS = {
    Outcome.ALLOWED.value: "erlaubt",
    Outcome.DENIED.value: "abgelehnt",
    Outcome.FAILED.value: "fehlgeschlagen",
}
# What an object is, in the words a clerk uses; unknown types are shown as stored.
OBJECT_LABELS = {
    "case_file": "Akte",
    "process": "Vorgang",
    "document": "Dokument",
    "version": "Version",
    "department": "Amt",
    "principal": "Person",
    "api_token": "Zugangsschlüssel",
    "file_plan": "Aktenplan",
    "audit_event": "Ereignis",
    "legal_hold": "Aussonderungssperre",
    "proposal": "Aussonderungsvorschlag",
}
# Form field → (service filter, longest value the column holds).
TEXT_FILTERS = {
    "person": ("actor", 80),
    "aktion": ("action", 64),
    "objekt": ("object", 64),
    "amt": ("department", 32),
}
_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def berlin_time(value: dt.datetime | None) -> str:
    """A moment as a clerk in Germany reads it: 05.03.2026 14:07:09 (local time)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M:%S")


def parse_day(text: str) -> dt.date | None:
    """`2026-03-05` (what a date field sends) or `05.03.2026` (typed by hand)."""
    match = _GERMAN_DATE.match(text)
    try:
        if match:
            day, month, year = (int(part) for part in match.groups())
            return dt.date(year, month, day)
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def start_of(day: dt.date, *, next_day: bool = False) -> dt.datetime:
    """Midnight in Berlin at the start of `day` (or of the day after), in UTC."""
    if next_day:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(), tzinfo=BERLIN).astimezone(dt.UTC)


def read_filters(args: Any) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    """The form's values, the service's filters, and German messages per field."""
    form = {
        name: (args.get(name) or "").strip() for name in (*TEXT_FILTERS, "ergebnis", "von", "bis")
    }
    filters: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, (key, longest) in TEXT_FILTERS.items():
        if len(form[name]) > longest:
            errors[name] = f"Höchstens {longest} Zeichen."
        elif form[name]:
            filters[key] = form[name]
    if form["ergebnis"] in OUTCOME_LABELS:
        filters["outcome"] = form["ergebnis"]
    else:
        form["ergebnis"] = ""
    days: dict[str, dt.date] = {}
    for name in ("von", "bis"):
        if form[name]:
            day = parse_day(form[name])
            if day is None:
                errors[name] = "Bitte ein Datum angeben, z. B. 31.12.2026."
            else:
                days[name] = day
    if days.get("von") and days.get("bis") and days["bis"] < days["von"]:
        errors["bis"] = "„bis“ darf nicht vor „von“ liegen."
    if days.get("von"):
        filters["since"] = start_of(days["von"])
    if days.get("bis"):
        filters["until"] = start_of(days["bis"], next_day=True)  # the whole day
    return form, filters, errors


def _page(verification: Verification | None = None) -> Response:
    form, filters, errors = read_filters(request.args)
    cursor = request.args.get("weiter") or None
    page = None
    if not errors:
        page = audit_queries.list_events(ctx(), filters=filters, limit=PAGE_SIZE, cursor=cursor)
    body = render_template(
        "protokoll.html",
        page=page,
        form=form,
        errors=errors,
        cursor=cursor,
        verification=verification,
        outcomes=OUTCOME_LABELS,
        objects=OBJECT_LABELS,
        berlin_time=berlin_time,
        query={k: v for k, v in form.items() if v},
    )
    return make_response(body, 422 if errors else 200)


@blp.get("/protokoll")
@signed_in
def audit() -> Response:
    """Protokoll: sealed events, oldest first, with filters."""
    return _page()


@blp.post("/protokoll/pruefen")
@signed_in
def audit_verify() -> Response:
    """Recompute the whole trail against the signed checkpoints; show green or red."""
    verification = audit_verification.verify_trail(ctx())
    return _page(verification)


@blp.get("/protokoll/export")
@signed_in
def audit_export() -> Response:
    """Every sealed event as JSON Lines or CSV, streamed (the export is audited first)."""
    fmt = request.args.get("format", "jsonl")
    if fmt not in MEDIA:
        fmt = "jsonl"
    lines = audit_queries.export_events(ctx(), fmt=fmt)
    response = Response(lines, mimetype=MEDIA[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="protokoll.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response
