"""The Dokument page's preview: images inline, DOCX/ODT as PDF only with a converter,
"Keine Vorschau" otherwise; checksums behind a Details toggle."""

from __future__ import annotations

import re

import pytest

from eakte.preview.libreoffice import LibreOfficeConverter, find_program
from tests.api.support import directives
from tests.documents import make_docx, make_odt
from tests.helpers import audit_events
from tests.web.support import document_ids, page_of, upload

# The smallest valid PNG: one transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)


class FakeConverter:
    """Stands in for LibreOffice: records what it was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[bytes, str]] = []

    def to_pdf(self, content: bytes, suffix: str) -> bytes | None:
        self.calls.append((content, suffix))
        return b"%PDF-1.4 umgewandelt"


def only_document(client, akte, files) -> str:
    listing = upload(client, akte, files)
    (document_id,) = document_ids(client.get(listing.headers["Location"]).get_data(as_text=True))
    return document_id


def test_an_image_is_shown_inline_and_its_checksum_sits_behind_details(town, browser_for):
    anna = browser_for("anna")
    document_id = only_document(anna, town.case_file(), [(PNG, "lageplan.png")])
    page = page_of(anna, f"/dokumente/{document_id}")
    assert (
        f'<img class="akte-bild" src="/dokumente/{document_id}/inhalt?version=1&amp;inline=1"'
        in page
    )
    assert "Keine Vorschau" not in page
    # The checksum is not a column of its own any more: it is inside a closed <details>.
    assert ">SHA-256</th>" not in page
    details = re.search(r'<details class="akte-details">(.*?)</details>', page, re.S).group(1)
    assert "<summary>Details" in details and "Prüfsumme (SHA-256)" in details
    inline = anna.get(f"/dokumente/{document_id}/inhalt?version=1&inline=1")
    assert inline.headers["Content-Disposition"].startswith("inline;")
    assert inline.mimetype == "image/png" and inline.data == PNG


def test_without_a_converter_a_docx_has_no_preview_but_a_download(town, browser_for, ports):
    ports.pdf_converter = None  # what bootstrap chooses where LibreOffice is not installed
    anna = browser_for("anna")
    document_id = only_document(anna, town.case_file(), [(make_docx("Bescheid"), "b.docx")])
    page = page_of(anna, f"/dokumente/{document_id}")
    assert "Keine Vorschau für dieses Format – bitte herunterladen." in page
    assert f'href="/dokumente/{document_id}/inhalt?version=1">Version 1 herunterladen' in page
    assert "<iframe" not in page
    direct = anna.get(f"/dokumente/{document_id}/vorschau?version=1")
    assert direct.status_code == 422 and "Keine Vorschau" in direct.get_data(as_text=True)


def test_with_a_converter_an_odt_is_shown_as_pdf_read_and_audited_like_a_download(
    town, browser_for, ports
):
    converter = FakeConverter()
    ports.pdf_converter = converter
    odt = make_odt("Widerspruchsbescheid")
    akte = town.case_file()
    anna = browser_for("anna")
    document_id = only_document(anna, akte, [(odt, "widerspruch.odt")])
    page = page_of(anna, f"/dokumente/{document_id}")
    frame = f'src="/dokumente/{document_id}/vorschau?version=1"'
    assert frame in page and 'title="Vorschau als PDF: widerspruch.odt' in page
    preview = anna.get(f"/dokumente/{document_id}/vorschau?version=1")
    assert preview.status_code == 200 and preview.data == b"%PDF-1.4 umgewandelt"
    assert preview.mimetype == "application/pdf"
    assert preview.headers["Content-Disposition"].startswith('inline; filename="widerspruch.pdf"')
    assert directives(preview)["default-src"] == "'none'"
    assert preview.headers["Cache-Control"] == "private, no-store"
    assert converter.calls == [(odt, ".odt")]  # the decrypted bytes
    reads = audit_events(ports, actor="anna", action="document.download")
    assert reads and reads[-1].object_id == document_id
    # Someone who may not read the Akte gets no preview, and nothing is converted.
    ben = browser_for("ben")
    assert ben.get(f"/dokumente/{document_id}/vorschau?version=1").status_code in (403, 404)
    assert len(converter.calls) == 1


@pytest.mark.skipif(find_program() is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_turns_a_docx_into_a_pdf(tmp_path):
    pdf = LibreOfficeConverter(find_program(), timeout_seconds=120).to_pdf(
        make_docx("Bescheid über die Gewerbeanmeldung"), ".docx"
    )
    assert pdf is not None and pdf.startswith(b"%PDF")


def test_the_converter_is_found_only_on_path(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert find_program() is None
