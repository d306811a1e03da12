"""How one Protokoll event reads: names instead of usernames and ids, German words, the CSV.

The CSV is for German spreadsheet programs: `;` between cells, UTF-8 with a
byte order mark (so Excel does not guess Windows-1252), German headings, local
time, no hash columns (those stay in the JSON Lines export). Every cell goes
through `spreadsheet_safe`, so a hostile username never runs as a formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from eakte.models import AuditEvent
from eakte.services.audit_names import Names
from eakte.services.audit_queries import spreadsheet_safe
from eakte.web.audit_labels import OBJECT_LABELS, OUTCOME_LABELS, action_label

# Objects without a name an auditor may see: the Aktenzeichen they lie in, and their id.
INSIDE_A_CASE_FILE = {"document", "document_version", "process", "grant", "legal_hold"}


@dataclass(frozen=True)
class Row:
    seq: int
    event: AuditEvent
    person: str  # display name, or the username when nobody has it
    username: str
    action: str
    kind: str  # what the object is, in German
    name: str  # Aktenzeichen, a person's name, an Amt …
    object_id: str  # the stored id, when the name alone does not tell the object
    department: str
    outcome: str


def rows(events: Iterable[AuditEvent], names: Names) -> list[Row]:
    return [describe(event, names) for event in events]


def describe(event: AuditEvent, names: Names) -> Row:
    kind, name, object_id = _object(event, names)
    department = event.department or ""
    if department in names.departments:
        department = f"{names.departments[department]} ({department})"
    return Row(
        seq=event.seq or 0,
        event=event,
        person=names.people.get(event.actor, event.actor),
        username=event.actor,
        action=action_label(event.action),
        kind=kind,
        name=name,
        object_id=object_id,
        department=department,
        outcome=OUTCOME_LABELS.get(event.outcome, event.outcome),
    )


def _object(event: AuditEvent, names: Names) -> tuple[str, str, str]:
    kind_code, stored = event.object_type or "", event.object_id or ""
    kind = OBJECT_LABELS.get(kind_code, kind_code)
    reference = names.references.get(stored)
    if kind_code == "case_file" and reference:
        return kind, reference, ""
    if kind_code in INSIDE_A_CASE_FILE:
        return kind, f"in Akte {reference}" if reference else "", stored
    if kind_code == "principal" and stored in names.people:
        return kind, f"{names.people[stored]} ({stored})", ""
    if kind_code == "department" and stored in names.departments:
        return kind, f"{names.departments[stored]} ({stored})", ""
    if kind_code == "file_plan_node" and stored in names.positions:
        return kind, f"{stored} {names.positions[stored]}", ""
    return kind, "", stored


CSV_HEADINGS = [
    "Nr.",
    "Zeitpunkt",
    "Person",
    "Benutzername",
    "Aktion",
    "Aktionscode",
    "Objektart",
    "Objekt",
    "Kennung",
    "Amt",
    "Ergebnis",
    "Einzelheiten",
]
BYTE_ORDER_MARK = "\ufeff"


def _local(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def csv_lines(batches: Iterator[tuple[list[AuditEvent], Names]], zone: ZoneInfo) -> Iterator[str]:
    """The German spreadsheet CSV, streamed batch by batch (times in the municipality's `zone`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write(BYTE_ORDER_MARK)
    writer.writerow(CSV_HEADINGS)
    for events, names in batches:
        for row in rows(events, names):
            writer.writerow([spreadsheet_safe(cell) for cell in _cells(row, zone)])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _cells(row: Row, zone: ZoneInfo) -> list[object]:
    details = row.event.details
    return [
        row.seq,
        _local(row.event.occurred_at).astimezone(zone).strftime("%d.%m.%Y %H:%M:%S"),
        row.person,
        row.username,
        row.action,
        row.event.action,
        row.kind,
        row.name,
        row.object_id,
        row.department,
        row.outcome,
        json.dumps(details, ensure_ascii=False) if details else "",
    ]
