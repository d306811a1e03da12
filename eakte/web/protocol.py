"""Protokoll (Revision): Ereignisse, Prüfung der Protokollkette, Export.

Auditors only: the services check the role and audit every query, verification
and export. The page never links to case files or documents: an auditor sees
who did what and when, not the content.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from flask import Response, make_response, render_template, request

from eakte.models.vocabulary import Outcome
from eakte.services import audit_queries, audit_verification
from eakte.web.blueprint import blp
from eakte.web.formatting import parse_day
from eakte.web.messages import DATE_HINT
from eakte.web.session import ctx, signed_in

if TYPE_CHECKING:
    from eakte.evidence.verify import Verification

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
