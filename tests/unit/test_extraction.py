"""Text extraction on real documents, built here with the tools that write them in the wild."""

from __future__ import annotations

import io
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
from fpdf import FPDF
from fpdf.enums import EncryptionMethod
from odf.opendocument import OpenDocumentText
from odf.text import H, LineBreak, P, S, Span, Tab

from eakte.search.extract import Extraction, ExtractionLimits, extract_text
from tests.documents import (
    DOCX_TYPE,
    ODT_TYPE,
    image_bytes,
    make_docx,
    make_email,
    make_pdf,
    make_zip,
    render_text,
    require_ocr,
    word_xml,
)

OCR_LIMITS = ExtractionLimits(ocr=True)


def extract(content: bytes, media_type: str, filename: str, **limits: object) -> Extraction:
    return extract_text(content, media_type, filename, ExtractionLimits(**limits))


def lines(extraction: Extraction) -> list[str]:
    return extraction.text.split("\n")


# --- PDF -----------------------------------------------------------------------------


def test_pdf_text_layer_of_every_page():
    pdf = make_pdf("Baugenehmigung für die Hauptstraße 5", "Änderungsbescheid vom 3. März")

    extraction = extract(pdf, "application/pdf", "Bescheid.pdf")

    assert extraction.status == "extracted"
    assert "Baugenehmigung für die Hauptstraße 5" in lines(extraction)
    assert "Änderungsbescheid vom 3. März" in lines(extraction)
    assert extraction.ocr_used is False


def test_invalid_pdf_fails_with_a_short_reason():
    extraction = extract(b"%PDF-1.7\nGeheimer Inhalt, aber kein PDF", "application/pdf", "x.pdf")

    assert extraction == Extraction("failed", detail="invalid PDF")


def test_password_protected_pdf_fails():
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text="Vertrauliche Stellungnahme")
    pdf.set_encryption("eigentümer", user_password="nutzer", encryption_method=EncryptionMethod.RC4)

    extraction = extract(bytes(pdf.output()), "application/pdf", "geheim.pdf")

    assert extraction == Extraction("failed", detail="encrypted PDF")


def test_scanned_pdf_without_ocr_is_empty_and_says_why():
    scan = image_bytes(render_text("Baugenehmigung"), "PDF", resolution=150)

    extraction = extract(scan, "application/pdf", "scan.pdf")

    assert extraction.status == "empty"
    assert extraction.detail == "1 page(s) without a text layer; OCR is off"


# --- DOCX and ODT ----------------------------------------------------------------------


def test_docx_paragraphs_tables_and_header_become_lines():
    document = make_docx(
        "Baugenehmigung für die Straße",
        "Änderungsbescheid",
        header="Stadtverwaltung Musterstadt",
        table=[["Flurstück", "Gemarkung Süd"]],
    )

    extraction = extract(document, DOCX_TYPE, "Bescheid.docx")

    assert extraction.status == "extracted"
    found = lines(extraction)
    for line in ["Baugenehmigung für die Straße", "Änderungsbescheid", "Flurstück"]:
        assert line in found
    assert "Gemarkung Süd" in found
    assert "Stadtverwaltung Musterstadt" in found


def test_docx_tabs_breaks_and_text_boxes_without_tab_stops():
    paragraph = (
        "<w:p><w:pPr><w:tabs><w:tab w:val='left' w:pos='720'/></w:tabs></w:pPr>"
        "<w:r><w:t>Aktenzeichen</w:t><w:tab/><w:t>63-2025</w:t><w:br/><w:t>Straße</w:t></w:r>"
        "<w:del><w:r><w:delText>gestrichen</w:delText></w:r></w:del></w:p>"
    )
    document = make_zip({"word/document.xml": word_xml(paragraph)})

    extraction = extract(document, DOCX_TYPE, "a.docx")

    assert lines(extraction) == ["Aktenzeichen\t63-2025", "Straße"]


def test_odt_headings_spans_spaces_tabs_and_line_breaks():
    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text="Änderungsbescheid"))
    paragraph = P(text="Die Baugenehmigung")
    paragraph.addElement(S(c=3))
    paragraph.addElement(Span(text="für die Straße"))
    paragraph.addElement(Tab())
    paragraph.addText("Seite 2")
    paragraph.addElement(LineBreak())
    paragraph.addText("Grüße")
    document.text.addElement(paragraph)
    buffer = io.BytesIO()
    document.write(buffer)

    extraction = extract(buffer.getvalue(), ODT_TYPE, "Bescheid.odt")

    assert lines(extraction) == [
        "Änderungsbescheid",
        "Die Baugenehmigung   für die Straße\tSeite 2",
        "Grüße",
    ]


BILLION_LAUGHS = "<!DOCTYPE w:document [<!ENTITY a 'haha'>" + "".join(
    f"<!ENTITY {chr(98 + level)} '{('&' + chr(97 + level) + ';') * 10}'>" for level in range(9)
)


@pytest.mark.parametrize(
    ("filename", "member"), [("a.docx", "word/document.xml"), ("a.odt", "content.xml")]
)
def test_entity_expansion_is_refused_not_performed(filename, member):
    xml = word_xml("<w:p><w:r><w:t>&j;</w:t></w:r></w:p>", BILLION_LAUGHS + "]>")
    started = time.process_time()  # work done, which a busy host does not stretch

    extraction = extract(make_zip({member: xml}), "application/zip", filename)

    assert extraction == Extraction("failed", detail="XML with a DTD or entities refused")
    assert time.process_time() - started < 1


def test_external_entity_is_not_read(tmp_path: Path):
    secret = tmp_path / "secret.txt"
    secret.write_text("Kennwort-Tresor")
    doctype = f"<!DOCTYPE w:document [<!ENTITY x SYSTEM '{secret.as_uri()}'>]>"
    document = make_zip(
        {"word/document.xml": word_xml("<w:p><w:r><w:t>&x;</w:t></w:r></w:p>", doctype)}
    )

    extraction = extract(document, DOCX_TYPE, "a.docx")

    assert extraction == Extraction("failed", detail="XML with a DTD or entities refused")


def test_zip_bomb_member_is_refused_before_unpacking():
    body = "<w:p><w:r><w:t>Baugenehmigung</w:t></w:r></w:p>" * 200_000  # 9 MB, 20 KB packed
    document = make_zip({"word/document.xml": word_xml(body)})
    assert len(document) < 100_000

    extraction = extract(document, DOCX_TYPE, "a.docx", max_unpacked_bytes=1024 * 1024)

    assert extraction.status == "failed"
    assert extraction.detail == "DOCX part word/document.xml exceeds 1048576 bytes unpacked"


def test_docx_that_is_not_a_zip_fails():
    extraction = extract(b"PK\x03\x04 kaputt", DOCX_TYPE, "a.docx")

    assert extraction == Extraction("failed", detail="invalid DOCX: not a zip archive")


# --- plain text and HTML ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Straße",
        "Grüße aus Köln",
        "„Änderungsbescheid“ – Gebühr 20 € für die Baugenehmigung, Hélène Müller",
    ],
)
def test_windows_1252_text_keeps_its_umlauts(text):
    extraction = extract(text.encode("cp1252"), "text/plain", "brief.txt")

    assert extraction == Extraction("extracted", text)


def test_utf8_text_is_normalised_to_nfc_without_control_characters():
    raw = "A\u0308nderungsbescheid\x00\x07 für die Stra\u00dfe\r\nZeile 2\x0c"

    extraction = extract(raw.encode(), "text/plain", "a.txt")

    assert extraction.text == "Änderungsbescheid für die Straße\nZeile 2"
    assert extraction.text.startswith("\u00c4")  # one code point, so "Ä" finds it


def test_html_keeps_title_and_visible_text_but_not_scripts_or_styles():
    page = """<!DOCTYPE html><html><head><title>Bauamt &ndash; Bescheide</title>
    <meta charset="windows-1252"><style>p { color: red }</style>
    <script>var geheim = "nicht indexieren";</script></head>
    <body><h1>Änderungsbescheid</h1><p>Die   Baugenehmigung<br>für die
    Stra&szlig;e</p><table><tr><td>Flurstück</td><td>12/3</td></tr></table>
    <script>trackVisit()</script></body></html>""".encode("cp1252")

    extraction = extract(page, "text/html", "seite.html")

    assert lines(extraction) == [
        "Bauamt – Bescheide",
        "Änderungsbescheid",
        "Die Baugenehmigung",
        "für die Straße",
        "Flurstück\t12/3",
    ]


def test_generic_media_types_fall_back_on_the_file_name():
    page = b"<html><body><p>Baugenehmigung</p><script>x()</script></body></html>"

    as_html = extract(page, "text/plain", "seite.htm")
    as_docx = extract(make_docx("Straße"), "application/zip", "Bescheid.docx")
    as_pdf = extract(make_pdf("Straße"), "application/octet-stream", "Bescheid.pdf")

    assert as_html.text == "Baugenehmigung"
    assert as_docx.text == "Straße"
    assert as_pdf.text == "Straße"


@pytest.mark.parametrize(
    ("content", "media_type", "filename"),
    [
        (("Baugenehmigung " * 500).encode(), "text/plain", "a.txt"),
        (make_docx(*["Baugenehmigung"] * 500), DOCX_TYPE, "a.docx"),
        (b"<p>Baugenehmigung</p>" * 500, "text/html", "a.html"),
    ],
    ids=["text", "docx", "html"],  # generated zips carry a timestamp: no ids from bytes
)
def test_text_beyond_max_chars_is_cut(content, media_type, filename):
    extraction = extract(content, media_type, filename, max_chars=1000)

    assert extraction.status == "extracted"
    assert len(extraction.text) == 1000
    assert extraction.text.startswith("Baugenehmigung")
    assert extraction.detail == "truncated at 1000 characters"


# --- e-mail ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("media_type", "filename"), [("message/rfc822", ""), ("text/plain", "a.eml")]
)
def test_email_headers_body_and_attachments(media_type, filename):
    message = make_email()
    # Declared as opaque bytes, as many mail clients do: the attachment is sniffed.
    message.add_attachment(
        make_docx("Nutzungsänderung genehmigt"),
        maintype="application",
        subtype="octet-stream",
        filename="Bescheid.docx",
    )
    message.add_attachment(
        make_pdf("Lageplan Flurstück 12/3"),
        maintype="application",
        subtype="pdf",
        filename="Lageplan.pdf",
    )

    extraction = extract(message.as_bytes(), media_type, filename)

    assert extraction.status == "extracted"
    found = lines(extraction)
    assert "Subject: Änderungsbescheid zur Baugenehmigung" in found
    assert "From: Bauamt Musterstadt <bauamt@musterstadt.example>" in found
    assert "To: Anna Müller <anna@example.org>" in found
    assert "Date: Tue, 04 Mar 2025 10:00:00 +0100" in found
    assert "Sehr geehrte Frau Müller," in found
    assert "Nutzungsänderung genehmigt" in found
    assert "Lageplan Flurstück 12/3" in found
    assert extraction.detail is None


def test_email_prefers_plain_text_and_strips_html_bodies():
    both = make_email("Baugenehmigung erteilt")
    both.add_alternative("<p>Baugenehmigung <b>erteilt</b></p><p>HTML-Fassung</p>", subtype="html")
    html_only = make_email()
    html_only.set_content(
        "<html><style>p{}</style><p>Stra&szlig;e gesperrt</p></html>",
        subtype="html",
        charset="iso-8859-1",
    )

    plain = extract(both.as_bytes(), "message/rfc822", "")
    stripped = extract(html_only.as_bytes(), "message/rfc822", "")

    assert "Baugenehmigung erteilt" in lines(plain)
    assert "HTML-Fassung" not in plain.text
    assert "Straße gesperrt" in lines(stripped)
    assert "p{}" not in stripped.text


def test_attachments_share_the_emails_limits():
    message = make_email("Baugenehmigung anbei")
    message.add_attachment(
        make_docx(*["Flurstück"] * 500),
        maintype="application",
        subtype="octet-stream",
        filename="gross.docx",
    )
    message.add_attachment(b"Nachtrag " * 200, maintype="text", subtype="plain")

    cut = extract(message.as_bytes(), "message/rfc822", "", max_chars=1000)
    unpacked = extract(message.as_bytes(), "message/rfc822", "", max_unpacked_bytes=2000)

    assert len(cut.text) == 1000
    assert "Flurstück" in cut.text
    assert cut.detail == "truncated at 1000 characters"
    assert "Baugenehmigung anbei" in lines(unpacked)
    assert "Flurstück" not in unpacked.text  # the DOCX alone is larger than 2000 bytes
    assert "Nachtrag" in unpacked.text
    assert unpacked.detail == "attachment 1 skipped: e-mail exceeds 2000 bytes unpacked"


def test_pictures_in_an_html_body_are_not_attachments():
    logo = image_bytes(render_text("Stadtwappen"), "PNG")
    # related(alternative(plain, html), picture), as Outlook and Thunderbird send it
    alternative = EmailMessage()
    alternative.set_content("Baugenehmigung erteilt")
    alternative.add_alternative("<p>Baugenehmigung <img src='cid:wappen'></p>", subtype="html")
    picture = EmailMessage()
    picture.set_content(logo, maintype="image", subtype="png", cid="<wappen>")
    message = make_email()
    message.clear_content()
    message.set_type("multipart/related")
    message.attach(alternative)
    message.attach(picture)
    with_picture = message.as_bytes()
    message.add_attachment(logo, maintype="image", subtype="png", filename="scan.png")

    inline_only = extract(with_picture, "message/rfc822", "")
    attached = extract(message.as_bytes(), "message/rfc822", "")

    assert "Baugenehmigung erteilt" in lines(inline_only)
    assert inline_only.detail is None
    assert attached.detail == "attachment 1 unsupported: image/png needs OCR, which is off"


def test_a_broken_attachment_does_not_fail_the_email():
    message = make_email("Baugenehmigung anbei")
    message.add_attachment(
        b"%PDF-1.4 kaputt", maintype="application", subtype="pdf", filename="kaputt.pdf"
    )

    extraction = extract(message.as_bytes(), "message/rfc822", "")

    assert extraction.status == "extracted"
    assert "Baugenehmigung anbei" in lines(extraction)
    assert extraction.detail == "attachment 1 failed: invalid PDF"


def test_forwarded_emails_are_read_to_the_configured_depth():
    innermost = make_email("Innerste Nachricht")
    innermost.add_attachment(
        make_docx("Flurstück Anlage"),
        maintype="application",
        subtype="octet-stream",
        filename="Anlage.docx",
    )
    forwarded = make_email("Weitergeleitete Baugenehmigung")
    forwarded.add_attachment(innermost)
    outer = make_email("Bitte prüfen")
    outer.add_attachment(forwarded)

    deep = extract(outer.as_bytes(), "message/rfc822", "")
    shallow = extract(outer.as_bytes(), "message/rfc822", "", max_attachment_depth=1)

    assert "Flurstück Anlage" in lines(deep)
    assert "Weitergeleitete Baugenehmigung" in lines(shallow)
    assert "Innerste Nachricht" not in shallow.text
    assert shallow.detail == "attachment 1: attachments nested deeper than 1 skipped"


# --- outcomes without text -------------------------------------------------------------


def test_empty_and_unknown_content():
    assert extract(b"", "application/x-empty", "leer.txt") == Extraction(
        "empty", detail="empty file"
    )
    assert extract(b" \n\t", "text/plain", "a.txt").status == "empty"
    assert extract(b"MZ\x90\x00", "application/x-dosexec", "setup.exe") == Extraction(
        "unsupported", detail="unsupported media type application/x-dosexec"
    )


def test_image_without_ocr_is_unsupported():
    png = image_bytes(render_text("Baugenehmigung"), "PNG")

    extraction = extract(png, "image/png", "scan.png")

    assert extraction == Extraction("unsupported", detail="image/png needs OCR, which is off")


# --- OCR ---------------------------------------------------------------------------------


def test_ocr_reads_german_from_an_image():
    require_ocr()
    png = image_bytes(render_text("Baugenehmigung für die Straße", "Änderungsbescheid"), "PNG")

    extraction = extract_text(png, "image/png", "scan.png", OCR_LIMITS)

    assert extraction.status == "extracted"
    assert "Straße" in extraction.text
    assert "Änderungsbescheid" in extraction.text
    assert extraction.ocr_used is True
    assert extraction.detail == "OCR on 1 page"


def test_ocr_reads_scanned_pages_and_keeps_text_layers():
    require_ocr()
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, "Seite mit Textebene: Flurstück 12/3")
    pdf.add_page()  # a scan: only an image, no text layer
    pdf.image(render_text("Änderungsbescheid"), x=10, y=10, w=150)

    extraction = extract_text(bytes(pdf.output()), "application/pdf", "akte.pdf", OCR_LIMITS)

    assert extraction.status == "extracted"
    assert "Seite mit Textebene: Flurstück 12/3" in extraction.text
    assert "Änderungsbescheid" in extraction.text
    assert extraction.detail == "OCR on 1 page"


def test_ocr_stops_at_the_page_limit():
    require_ocr()
    first, second = render_text("Baugenehmigung"), render_text("Flurstück")
    tiff = image_bytes(first, "TIFF", save_all=True, append_images=[second])

    extraction = extract(tiff, "image/tiff", "scan.tif", ocr=True, ocr_max_pages=1)

    assert "Baugenehmigung" in extraction.text
    assert "Flurstück" not in extraction.text
    assert extraction.detail == "OCR on 1 page; OCR limited to 1 page(s)"
