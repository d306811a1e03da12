"""The destruction / handover certificate as a PDF for the files (German, A4).

The signed JSON stays the authoritative record; this renders it for people: the
municipality's head (name, logo), local times, the approvers' names, the files'
Aktenzeichen and the titles the reader may see, and the signature printed so that it
can be checked against the JSON. What the JSON does not hold (names, titles, the
notes in German) comes in `Letterhead` and `Readers`, from the service that may know it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos

TITLES = {
    "eakte.destruction-certificate": "Vernichtungsnachweis",
    "eakte.handover-certificate": "Übergabe- und Vernichtungsnachweis",
}
STATES = {
    "destroyed": "vernichtet",
    "skipped": "nicht ausgesondert",
    "rejected": "abgelehnt",
    "exported": "an das Archiv übergeben",
    "proposed": "vorgeschlagen",
}
DISPOSITIONS = {"archive": "Anbieten / Archivieren", "destroy": "Vernichten"}
LOGO_WIDTH, LOGO_HEIGHT = 40.0, 20.0  # mm; the slot stays free without a logo
HIDDEN_TITLE = "vertraulich (Titel nur für Berechtigte)"


@dataclass(frozen=True)
class Letterhead:
    """Who issues the certificate: the municipality's name, its logo, its time zone."""

    municipality: str
    zone: ZoneInfo
    logo: str | None = None


@dataclass(frozen=True)
class Readers:
    """What the reader may know beyond the JSON.

    names: display name per username; titles: per Aktenzeichen, the title or None when
    it is confidential to this reader (a destroyed file's title is gone: absent);
    notes: each item's note in German.
    """

    names: Mapping[str, str] = field(default_factory=dict)
    titles: Mapping[str, str | None] = field(default_factory=dict)
    notes: Mapping[str, str] = field(default_factory=dict)


def render(
    certificate: dict[str, Any],
    signature: str,
    key_id: str,
    letterhead: Letterhead,
    readers: Readers | None = None,
) -> bytes:
    readers = readers or Readers()
    title = TITLES.get(certificate.get("type", ""), "Nachweis")
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_title(title)
    _head(pdf, letterhead)
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _latin(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=10)
    zone = letterhead.zone
    for label, value in (
        ("Aktenplaneinheit", certificate.get("file_plan")),
        ("Aussonderungsart", DISPOSITIONS.get(certificate.get("disposition", ""), "")),
        ("Stichtag", _day(certificate.get("as_of"))),
        ("Ausgeführt am", _time(certificate.get("executed_at"), zone)),
        ("SHA-256 des Übergabepakets", certificate.get("package_sha256")),
    ):
        if value:
            _row(pdf, label, str(value))
    _heading(pdf, "Freigaben (Vier-Augen-Prinzip)")
    for approval in certificate.get("approvers", []):
        username = approval.get("username", "")
        name = readers.names.get(username)
        who = f"{name} ({username})" if name else username
        _row(pdf, who, _time(approval.get("approved_at"), zone))
    _heading(pdf, "Akten")
    for case_file in certificate.get("case_files", []):
        _case_file(pdf, case_file, readers)
    _signature(pdf, certificate, signature, key_id)
    return bytes(pdf.output())


def _head(pdf: FPDF, letterhead: Letterhead) -> None:
    """The municipality's name on the left, the logo slot on the right."""
    top = pdf.get_y()
    slot_x = pdf.w - pdf.r_margin - LOGO_WIDTH
    if letterhead.logo:
        pdf.image(
            letterhead.logo, x=slot_x, y=top, w=LOGO_WIDTH, h=LOGO_HEIGHT, keep_aspect_ratio=True
        )
    pdf.set_font("Helvetica", "B", 13)
    pdf.multi_cell(
        slot_x - pdf.l_margin - 5,
        7,
        _latin(letterhead.municipality),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_y(max(pdf.get_y(), top + LOGO_HEIGHT) + 4)


def _case_file(pdf: FPDF, case_file: dict[str, Any], readers: Readers) -> None:
    reference = case_file.get("reference", "")
    state = STATES.get(case_file.get("state", ""), case_file.get("state", ""))
    pdf.set_font("Helvetica", "B", 10)
    _lines(pdf, 6, _latin(f"{reference}: {state}"))
    pdf.set_font("Helvetica", size=9)
    if reference in readers.titles:
        _lines(pdf, 5, _latin(f"Titel: {readers.titles[reference] or HIDDEN_TITLE}"))
    note = case_file.get("note")
    if note:
        _lines(pdf, 5, _latin(f"Vermerk: {readers.notes.get(note, note)}"))
    pdf.set_font("Helvetica", size=8)
    numbers: dict[str, int] = {}  # document ids → 1, 2, ... within this file
    for version in case_file.get("destroyed", []):
        number = numbers.setdefault(version["document"], len(numbers) + 1)
        line = f"Dokument {number}, Version {version['version']}, SHA-256 {version['sha256']}"
        _lines(pdf, 4, _latin(line))


def _signature(pdf: FPDF, certificate: dict[str, Any], signature: str, key_id: str) -> None:
    _heading(pdf, "Elektronische Signatur (ECDSA P-256, SHA-256)")
    pdf.set_font("Courier", size=7)
    _lines(pdf, 3.5, f"Schlüssel: {key_id}")
    _lines(pdf, 3.5, signature)
    pdf.set_font("Helvetica", "I", 8)
    pdf.ln(2)
    _lines(
        pdf,
        4,
        _latin(
            "Maßgeblich ist der signierte JSON-Nachweis zum Aussonderungsvorschlag "
            f"{certificate.get('proposal', '')} (GET /api/v1/disposition/proposals/"
            "{id}/certificate); die Signatur lässt sich mit dem öffentlichen Schlüssel des "
            "Protokolls prüfen. Dieses PDF gibt ihn wieder; Zeiten in Ortszeit."
        ),
    )


def _day(value: object) -> str:
    """2026-12-31 → 31.12.2026."""
    if not isinstance(value, str) or not value:
        return ""
    return dt.date.fromisoformat(value).strftime("%d.%m.%Y")


def _time(value: object, zone: ZoneInfo) -> str:
    """An instant of the JSON (UTC, with microseconds) in local time, to the minute."""
    if not isinstance(value, str) or not value:
        return ""
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone).strftime("%d.%m.%Y, %H:%M Uhr")


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, _latin(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=10)


def _lines(pdf: FPDF, height: float, text: str) -> None:
    pdf.multi_cell(0, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _row(pdf: FPDF, label: str, value: str) -> None:
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(70, 6, _latin(label))
    pdf.set_font("Helvetica", size=10)
    _lines(pdf, 6, _latin(value))


def _latin(text: str) -> str:
    """The PDF core fonts speak latin-1: German is fine, anything else becomes '?'."""
    return text.encode("latin-1", errors="replace").decode("latin-1")
