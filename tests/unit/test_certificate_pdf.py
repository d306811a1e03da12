"""The printed certificate on its own: the logo slot, local time, names, hidden titles."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pypdfium2
from PIL import Image

from eakte.config import Settings
from eakte.retention.certificate_pdf import Letterhead, Readers, render

CERTIFICATE = {
    "type": "eakte.destruction-certificate",
    "proposal": "0b7c6a52-5d2b-4a53-9d55-1f3c1f2c9a10",
    "disposition": "destroy",
    "file_plan": "50.30",
    "as_of": "2026-07-01",
    "executed_at": "2026-07-01T12:07:09.123456Z",
    "approvers": [{"username": "rita", "approved_at": "2026-06-30T22:30:00.5Z"}],
    "case_files": [
        {"reference": "50.30-0001/2014", "state": "destroyed", "note": None, "destroyed": []},
        {"reference": "50.30-0002/2014", "state": "skipped", "note": "held", "destroyed": []},
    ],
}


def text_of(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))


def test_local_summer_time_names_and_a_hidden_title(tmp_path) -> None:
    logo = tmp_path / "wappen.png"
    Image.new("RGB", (80, 40), (11, 79, 138)).save(logo)
    settings = Settings.from_env(
        {"EAKTE_INSTANCE_PATH": str(tmp_path), "EAKTE_CERTIFICATE_LOGO": str(logo)}
    )
    letterhead = Letterhead(
        "Stadt Musterstadt", ZoneInfo("Europe/Berlin"), settings.certificate_logo
    )
    readers = Readers(
        names={"rita": "Rita Registratur"},
        titles={"50.30-0002/2014": None},
        notes={"held": "Aussonderungssperre: die Akte bleibt erhalten."},
    )
    pdf = render(CERTIFICATE, "c2lnbmF0dXJl", "key-1", letterhead, readers)
    document = pypdfium2.PdfDocument(pdf)
    assert len(list(document[0].get_objects(filter=[pypdfium2.raw.FPDF_PAGEOBJ_IMAGE]))) == 1
    sheet = text_of(pdf)
    assert "Stadt Musterstadt" in sheet
    assert "01.07.2026, 14:07 Uhr" in sheet  # CEST, to the minute
    assert "Rita Registratur (rita)" in sheet and "01.07.2026, 00:30 Uhr" in sheet
    assert "Titel: vertraulich" in sheet
    assert "Vermerk: Aussonderungssperre" in sheet and "held" not in sheet


def test_without_a_logo_the_slot_stays_empty() -> None:
    pdf = render(CERTIFICATE, "c2lnbmF0dXJl", "key-1", Letterhead("Gemeinde", ZoneInfo("UTC")))
    document = pypdfium2.PdfDocument(pdf)
    assert len(list(document[0].get_objects(filter=[pypdfium2.raw.FPDF_PAGEOBJ_IMAGE]))) == 0
    assert "rita" in text_of(pdf)  # no names known: the username
