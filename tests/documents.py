"""Real documents for tests, built with the tools that write them in the wild."""

from __future__ import annotations

import io
import os
import zipfile
from email.message import EmailMessage

import docx
import pytest
from fpdf import FPDF
from odf.opendocument import OpenDocumentText
from odf.text import P
from PIL import Image, ImageDraw, ImageFont

from eakte.search.extract import ocr_available

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT_TYPE = "application/vnd.oasis.opendocument.text"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
W_NAMESPACE = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def make_pdf(*pages: str) -> bytes:
    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)  # core font: latin-1, so umlauts and ß work
    for page in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, page)
    return bytes(pdf.output())


def make_docx(*paragraphs: str, header: str = "", table: list[list[str]] | None = None) -> bytes:
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        cells = document.add_table(rows=len(table), cols=len(table[0]))
        for row_number, row in enumerate(table):
            for column, value in enumerate(row):
                cells.cell(row_number, column).text = value
    if header:
        document.sections[0].header.paragraphs[0].text = header
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_odt(*paragraphs: str) -> bytes:
    document = OpenDocumentText()
    for paragraph in paragraphs:
        document.text.addElement(P(text=paragraph))
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def make_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def make_email(
    body: str = "Sehr geehrte Frau Müller,\nanbei der Bescheid.",
    subject: str = "Änderungsbescheid zur Baugenehmigung",
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = "Bauamt Musterstadt <bauamt@musterstadt.example>"
    message["To"] = "Anna Müller <anna@example.org>"
    message["Date"] = "Tue, 04 Mar 2025 10:00:00 +0100"
    message.set_content(body)
    return message


def word_xml(body: str, doctype: str = "") -> bytes:
    """A bare word/document.xml around `body`, for hand-made (hostile) DOCX files."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}'
        f'<w:document xmlns:w="{W_NAMESPACE}"><w:body>{body}</w:body></w:document>'
    ).encode()


def render_text(*text_lines: str, size: tuple[int, int] = (1000, 220)) -> Image.Image:
    font = ImageFont.truetype(FONT, 40)
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    for number, line in enumerate(text_lines):
        draw.text((40, 40 + 70 * number), line, font=font, fill=0)
    return image


def image_bytes(image: Image.Image, image_format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def make_scanned_pdf(*text_lines: str) -> bytes:
    """An image-only PDF, as a scanner writes it: no text layer, only pixels."""
    return image_bytes(render_text(*text_lines), "PDF", resolution=150)


def require_ocr() -> None:
    """Skip without tesseract (German), unless CI demands OCR (`EAKTE_REQUIRE_OCR=1`)."""
    if ocr_available("deu"):
        return
    if os.environ.get("EAKTE_REQUIRE_OCR") == "1":
        pytest.fail("EAKTE_REQUIRE_OCR=1 but tesseract with German (deu) is not available")
    pytest.skip("tesseract with German (deu) is not installed")
