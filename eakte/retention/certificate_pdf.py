"""The destruction / handover certificate as a PDF for the files (German, A4).

The signed JSON stays the authoritative record; this renders it for people,
with the signature printed so that it can be checked against the JSON.
"""

from __future__ import annotations

from typing import Any

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


def render(certificate: dict[str, Any], signature: str, key_id: str) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_title(TITLES.get(certificate.get("type", ""), "Nachweis"))
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(
        0,
        10,
        _latin(TITLES.get(certificate.get("type", ""), "Nachweis")),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_font("Helvetica", size=10)
    for label, value in (
        ("Aussonderungsvorschlag", certificate.get("proposal")),
        ("Aktenplaneinheit", certificate.get("file_plan")),
        ("Aussonderungsart", DISPOSITIONS.get(certificate.get("disposition", ""), "")),
        ("Stichtag", certificate.get("as_of")),
        ("Ausgeführt am (UTC)", certificate.get("executed_at")),
        ("SHA-256 des Übergabepakets", certificate.get("package_sha256")),
    ):
        if value:
            _row(pdf, label, str(value))
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, "Freigaben (Vier-Augen-Prinzip)", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", size=10)
    for approval in certificate.get("approvers", []):
        _row(pdf, approval.get("username", ""), approval.get("approved_at", ""))
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, "Akten", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for case_file in certificate.get("case_files", []):
        pdf.set_font("Helvetica", "B", 10)
        state = STATES.get(case_file.get("state", ""), case_file.get("state", ""))
        pdf.cell(
            0,
            6,
            _latin(f"{case_file.get('reference')}: {state}"),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.set_font("Helvetica", size=8)
        if case_file.get("note"):
            _lines(pdf, 4, _latin(f"Vermerk: {case_file['note']}"))
        for version in case_file.get("destroyed", []):
            document, number = version["document"], version["version"]
            _lines(pdf, 4, _latin(f"Dokument {document} Version {number}: {version['sha256']}"))
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(
        0, 7, "Elektronische Signatur (ECDSA P-256, SHA-256)", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.set_font("Courier", size=7)
    _lines(pdf, 3.5, f"Schlüssel: {key_id}")
    _lines(pdf, 3.5, signature)
    pdf.set_font("Helvetica", "I", 8)
    pdf.ln(2)
    _lines(
        pdf,
        4,
        _latin(
            "Maßgeblich ist der signierte JSON-Nachweis (GET /api/v1/disposition/proposals/"
            "{id}/certificate); die Signatur lässt sich mit dem öffentlichen Schlüssel des "
            "Protokolls prüfen. Dieses PDF gibt ihn wieder."
        ),
    )
    return bytes(pdf.output())


def _lines(pdf: FPDF, height: float, text: str) -> None:
    pdf.multi_cell(0, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _row(pdf: FPDF, label: str, value: str) -> None:
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(60, 6, _latin(label))
    pdf.set_font("Helvetica", size=10)
    _lines(pdf, 6, _latin(value))


def _latin(text: str) -> str:
    """The PDF core fonts speak latin-1: German is fine, anything else becomes '?'."""
    return text.encode("latin-1", errors="replace").decode("latin-1")
