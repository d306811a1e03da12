"""Protokoll (Revision): Ereignisse, Prüfung der Protokollkette, Export.

Auditors only: the services check the role and audit every query, verification
and export. The page never links to case files or documents: an auditor sees
who did what and when, not the content. People appear by name, case files by
Aktenzeichen, actions in German (services/audit_names.py says what an auditor
may be shown); the filters take the same words. Newest first; the export is
exactly the filtered view.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from flask import Response, make_response, render_template, request

from eakte.services import audit_names, audit_queries, audit_verification
from eakte.services.departments import find_department
from eakte.web import pickers
from eakte.web.audit_labels import ACTION_LABELS, OUTCOME_LABELS, action_for
from eakte.web.blueprint import blp
from eakte.web.formatting import parse_day, zone
from eakte.web.messages import DATE_HINT
from eakte.web.protocol_rows import csv_lines, rows
from eakte.web.session import ctx, signed_in

if TYPE_CHECKING:
    from eakte.evidence.verify import Verification

PAGE_SIZE = 50
# Text field → the longest value worth looking up (the column's, or a display name's).
LONGEST = {"person": 200, "aktion": 64, "objekt": 64, "amt": 32}
FILTER_FIELDS = (*LONGEST, "ergebnis", "von", "bis")
UNKNOWN = {
    "person": "Keine Person mit diesem Namen oder Benutzernamen gefunden.",
    "object": "Keine Akte mit diesem Aktenzeichen und kein Objekt mit dieser Kennung gefunden.",
}
UNKNOWN_ACTION = "Diese Aktion gibt es nicht. Bitte wählen Sie eine aus der Liste."
# The Aktion list, alphabetical by label: typing "Akte g" in the list finds "Akte gelesen".
ACTION_CHOICES = sorted(ACTION_LABELS.items(), key=lambda item: item[1].casefold())


def read_filters(args: Any) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    """The form's values, the service's filters, and German messages per field."""
    form = {name: (args.get(name) or "").strip() for name in FILTER_FIELDS}
    filters: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, longest in LONGEST.items():
        if len(form[name]) > longest:
            errors[name] = f"Höchstens {longest} Zeichen."
    if form["aktion"] and "aktion" not in errors:
        code = action_for(form["aktion"])
        if code is None:
            errors["aktion"] = UNKNOWN_ACTION
        else:
            form["aktion"] = filters["action"] = code
    if form["amt"] and "amt" not in errors:  # a name or a code, typed or picked
        try:
            unit = pickers.resolve_department(form["amt"])
        except pickers.Unclear as unclear:
            errors["amt"] = unclear.text
        else:
            if find_department(ctx(), unit) is None:
                errors["amt"] = "Dieses Amt gibt es nicht."
            else:
                filters["department"] = unit
    if form["ergebnis"] in OUTCOME_LABELS:
        filters["outcome"] = form["ergebnis"]
    else:
        form["ergebnis"] = ""
    since = parse_day(form["von"]) if form["von"] else None
    until = parse_day(form["bis"]) if form["bis"] else None
    for name, day in (("von", since), ("bis", until)):
        if form[name] and day is None:
            errors[name] = DATE_HINT
    if since and until and until < since:
        errors["bis"] = "„bis“ darf nicht vor „von“ liegen."
    if since:
        filters["since"] = ctx().start_of_day(since)
    if until:  # the whole day
        filters["until"] = ctx().start_of_day(until + dt.timedelta(days=1))
    _narrow(form, filters, errors)
    return form, filters, errors


def _narrow(form: dict[str, str], filters: dict[str, Any], errors: dict[str, str]) -> None:
    """Names and Aktenzeichen → the usernames and ids the trail holds; unknown ones are errors."""
    person = form["person"] if "person" not in errors else ""
    object_name = form["objekt"] if "objekt" not in errors else ""
    if not (person or object_name):
        return
    narrowing = audit_names.narrow(ctx(), person=person, object_name=object_name)
    filters.update(narrowing.filters)
    for key, field in (("person", "person"), ("object", "objekt")):
        if key in narrowing.unknown:
            errors[field] = UNKNOWN[key]


def _page(verification: Verification | None = None) -> Response:
    form, filters, errors = read_filters(request.args)
    cursor = request.args.get("weiter") or None
    page, shown = None, []
    if not errors:
        page = audit_queries.list_events(
            ctx(), filters=filters, limit=PAGE_SIZE, cursor=cursor, newest_first=True
        )
        shown = rows(page.items, audit_names.names_for(ctx(), page.items))
    return _render(form, errors, verification=verification, page=page, shown=shown, cursor=cursor)


def _render(form: dict[str, str], errors: dict[str, str], **values: Any) -> Response:
    body = render_template(
        "protokoll.html",
        form=form,
        errors=errors,
        outcomes=OUTCOME_LABELS,
        actions=ACTION_CHOICES,
        query={k: v for k, v in form.items() if v},
        **values,
    )
    return make_response(body, 422 if errors else 200)


@blp.get("/protokoll")
@signed_in
def audit() -> Response:
    """Protokoll: sealed events, newest first, with filters."""
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
    """The filtered view: CSV for German spreadsheets (newest first) or JSON Lines with hashes.

    JSON Lines keep `seq` order, as the offline verifier reads them.
    """
    fmt = request.args.get("format", "jsonl")
    if fmt not in ("jsonl", "csv"):
        fmt = "jsonl"
    form, filters, errors = read_filters(request.args)
    if errors:
        return _render(form, errors, verification=None, page=None, shown=[], cursor=None)
    if fmt == "csv":
        batches = audit_queries.export_view(ctx(), filters=filters, fmt=fmt)
        response = Response(csv_lines(batches, zone()), mimetype="text/csv")
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
    else:
        lines = audit_queries.export_events(ctx(), fmt=fmt, filters=filters)
        response = Response(lines, mimetype="application/jsonl")
    response.headers["Content-Disposition"] = f'attachment; filename="protokoll.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response
