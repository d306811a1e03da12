"""Decompression bombs and XML attacks against text extraction, as the worker runs it.

Everything goes through the real `ExtractionRunner` (a child process with an address
space limit and a time limit), with the product's default limits unless a test says
otherwise, and the last tests go all the way: upload over the API, the worker drains
the outbox, and the document is marked failed with a reason — still stored and
downloadable — while nothing of a secret file reaches the index.

tests/unit/test_extraction.py already covers billion laughs, an external entity and a
declared zip bomb on `extract_text` directly; here the same attacks meet the
process boundary and their variants (ODT, parameter entities, external DTDs,
XInclude, lying zip headers, nested archives, pixel and page bombs, deep e-mails).
"""

from __future__ import annotations

import ast
import io
import struct
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from eakte.search.extract import Extraction, ExtractionLimits
from eakte.search.extract.runner import ExtractionRunner
from tests.api.support import drain
from tests.documents import DOCX_TYPE, ODT_TYPE, make_zip, require_ocr, word_xml
from tests.hostile.support import file_part, multipart, post_raw
from tests.processes import cpu_seconds

EAKTE = Path(__file__).resolve().parents[2] / "eakte"
SECRET = "Kennwort-Tresor-4711"
DTD_REFUSED = Extraction("failed", detail="XML with a DTD or entities refused")
ODF_NAMESPACE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
ODF_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


@pytest.fixture(scope="module")
def runner() -> Iterator[ExtractionRunner]:
    """The worker's runner with its default limits (2 GB address space), OCR on, 30 s."""
    with ExtractionRunner(ExtractionLimits(ocr=True), timeout_seconds=30) as runner:
        yield runner


def timed(runner: ExtractionRunner, content: bytes, media_type: str, filename: str):
    """The result and the CPU seconds the extraction child (and its tesseract) spent on it.

    CPU time, not wall time: what these bounds are about is work, and a busy host (CI
    beside other jobs, a newcomer's laptop) stretches wall time, not work.
    """
    if runner._process is None:
        still_works(runner)  # the child is up, so its start-up is not counted
    child = runner._process.pid
    before = cpu_seconds(child)
    result = runner.extract(content, media_type, filename)
    replaced = runner._process is None or runner._process.pid != child
    assert not replaced, f"the extraction child was replaced: {result}"
    return result, cpu_seconds(child) - before


def still_works(runner: ExtractionRunner) -> None:
    assert runner.extract("Straße".encode(), "text/plain", "a.txt") == Extraction(
        "extracted", "Straße"
    )


# --- zip bombs -------------------------------------------------------------------------


def zip_with_zeros(name: str, megabytes: int, prefix: bytes = b"") -> bytes:
    """A deflated member of `megabytes` MB (mostly zeros) in a few hundred KB."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open(name, "w", force_zip64=True) as member,
    ):
        member.write(prefix)
        block = b"\0" * 1024**2
        for _ in range(megabytes):
            member.write(block)
    return buffer.getvalue()


def test_a_docx_zip_bomb_is_refused_by_the_default_limit_before_unpacking(runner):
    bomb = zip_with_zeros("word/document.xml", 250)  # over the 200 MB default
    assert len(bomb) < 1024**2

    result, cpu = timed(runner, bomb, DOCX_TYPE, "bombe.docx")

    assert result == Extraction(
        "failed", detail="DOCX part word/document.xml exceeds 209715200 bytes unpacked"
    )
    assert cpu < 5
    still_works(runner)


def lie_about_size(archive: bytes, name: str, declared: int) -> bytes:
    """Rewrite the member's uncompressed size in its local header and central directory."""
    data = bytearray(archive)
    encoded = name.encode()
    assert data[:4] == b"PK\x03\x04"  # the local header of the first (only) member
    assert data[30 : 30 + len(encoded)] == encoded
    struct.pack_into("<I", data, 22, declared)
    central = data.index(b"PK\x01\x02")
    assert data[central + 46 : central + 46 + len(encoded)] == encoded
    struct.pack_into("<I", data, central + 24, declared)
    return bytes(data)


def test_a_zip_member_that_lies_about_its_size_is_never_inflated_past_the_lie(runner):
    body = "<w:p><w:r><w:t>Baugenehmigung</w:t></w:r></w:p>" * 1_000_000  # 48 MB packed small
    honest = make_zip({"word/document.xml": word_xml(body)})
    liar = lie_about_size(honest, "word/document.xml", 2000)

    result, cpu = timed(runner, liar, DOCX_TYPE, "luegner.docx")

    assert result.status == "failed", result
    assert result.detail in (
        "invalid XML",
        "invalid DOCX: damaged zip archive",
        "DOCX part word/document.xml is larger than declared",
    )
    assert cpu < 5


def test_nested_archives_are_not_unpacked(runner):
    inner = make_zip({f"{number}.zip": zip_with_zeros("x.bin", 20) for number in range(4)})
    outer = make_zip({f"{number}.zip": inner for number in range(4)})

    as_zip, cpu_zip = timed(runner, outer, "application/zip", "42.zip")
    as_docx, cpu_docx = timed(runner, outer, DOCX_TYPE, "42.docx")
    nested_xml = make_zip({"word/document.xml": outer})
    as_part, cpu_part = timed(runner, nested_xml, DOCX_TYPE, "verschachtelt.docx")

    assert as_zip == Extraction("unsupported", detail="unsupported media type application/zip")
    assert as_docx == Extraction("failed", detail="invalid DOCX: word/document.xml missing")
    assert as_part == Extraction("failed", detail="invalid XML")
    assert max(cpu_zip, cpu_docx, cpu_part) < 5


# --- XML entity attacks ------------------------------------------------------------------


def odt_content(body: str, doctype: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}'
        f'<office:document-content xmlns:office="{ODF_NAMESPACE}" xmlns:text="{ODF_TEXT}">'
        f"<office:body><office:text>{body}</office:text></office:body>"
        "</office:document-content>"
    ).encode()


@pytest.fixture(scope="module")
def secret_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("secret") / "passwd"
    path.write_text(f"root:x:0:0:{SECRET}:/root:/bin/sh\n")
    return path


def xml_attacks(secret: Path) -> dict[str, tuple[str, str]]:
    """name → (doctype, body reference), each aimed at the secret file or at memory."""
    uri = secret.as_uri()
    laughs = "<!ENTITY a 'haha'>" + "".join(
        f"<!ENTITY {chr(98 + level)} '{('&' + chr(97 + level) + ';') * 10}'>" for level in range(9)
    )
    return {
        "external entity": (f"<!DOCTYPE d [<!ENTITY x SYSTEM '{uri}'>]>", "&x;"),
        "parameter entity": (f"<!DOCTYPE d [<!ENTITY % p SYSTEM '{uri}'> %p;]>", "x"),
        "external DTD": (f"<!DOCTYPE d SYSTEM '{uri}'>", "x"),
        "billion laughs": (f"<!DOCTYPE d [{laughs}]>", "&j;"),
        "quadratic blowup": (
            "<!DOCTYPE d [<!ENTITY a '" + "x" * 50_000 + "'>]>",
            "&a;" * 50_000,
        ),
    }


@pytest.mark.parametrize(
    "attack",
    ["external entity", "parameter entity", "external DTD", "billion laughs", "quadratic blowup"],
)
@pytest.mark.parametrize("kind", ["docx", "odt"])
def test_xml_with_a_dtd_is_refused_in_docx_and_odt(runner, secret_file, attack, kind):
    doctype, reference = xml_attacks(secret_file)[attack]
    if kind == "docx":
        part = word_xml(f"<w:p><w:r><w:t>{reference}</w:t></w:r></w:p>", doctype)
        document, media_type = make_zip({"word/document.xml": part}), DOCX_TYPE
    else:
        part = odt_content(f"<text:p>{reference}</text:p>", doctype)
        document, media_type = make_zip({"content.xml": part}), ODT_TYPE

    result, cpu = timed(runner, document, media_type, f"angriff.{kind}")

    assert result == DTD_REFUSED
    assert cpu < 5


def test_xinclude_is_not_followed(runner, secret_file):
    body = (
        '<w:p><w:r><w:t>Vorher</w:t><xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
        f'href="{secret_file.as_uri()}" parse="text"/></w:r></w:p>'
    )
    document = make_zip({"word/document.xml": word_xml(body)})

    result = runner.extract(document, DOCX_TYPE, "xinclude.docx")

    assert result == Extraction("extracted", "Vorher")
    assert SECRET not in result.text


# --- pixel and page bombs ------------------------------------------------------------------


def png_of(width: int, height: int) -> bytes:
    """A valid 1-bit white PNG: a few KB on disk, `width` × `height` pixels decoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    row = b"\0" + b"\xff" * ((width + 7) // 8)
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("width", "height"),
    [(20_000, 10_000), (10_000, 9_500), (8_000, 6_000)],
    ids=["over-pillows-hard-limit", "over-pillows-warning-limit", "over-the-ocr-limit"],
)
def test_a_png_decompression_bomb_is_refused_before_decoding(runner, width, height):
    require_ocr()
    bomb = png_of(width, height)
    assert len(bomb) < 100_000

    result, cpu = timed(runner, bomb, "image/png", "scan.png")

    assert result == Extraction("failed", detail="image too large")
    assert cpu < 5
    still_works(runner)


def test_a_multi_page_tiff_with_a_huge_page_is_refused(runner):
    require_ocr()
    from PIL import Image

    small = Image.new("1", (200, 200), 1)
    huge = Image.new("1", (9_000, 9_000), 1)
    buffer = io.BytesIO()
    small.save(buffer, "TIFF", save_all=True, append_images=[huge], compression="group4")

    result, cpu = timed(runner, buffer.getvalue(), "image/tiff", "akte.tiff")

    assert result == Extraction("failed", detail="image too large", ocr_used=True)
    assert cpu < 10


def pdf_of(media_box: str, pages: int = 1, text: str = "") -> bytes:
    """A hand-written PDF: `pages` references to one page with this MediaBox."""
    content = f"BT /F1 12 Tf 10 10 Td ({text}) Tj ET" if text else ""
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{' '.join(['3 0 R'] * pages)}] /Count {pages} >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox "
        + media_box
        + " /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.7\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out


def test_a_pdf_page_of_absurd_size_is_rendered_within_the_pixel_budget(runner):
    require_ocr()
    result, cpu = timed(runner, pdf_of("[0 0 1000000000 1000000000]"), "application/pdf", "a.pdf")

    assert result.status == "empty"
    assert result.ocr_used is True
    assert cpu < 25  # one page of at most 40 million pixels for tesseract


def test_a_pdf_with_a_hundred_thousand_pages_ends_at_the_time_limit():
    document = pdf_of("[0 0 595 842]", pages=100_000, text="Seite")  # ~7 s of work, unloaded
    with ExtractionRunner(ExtractionLimits(), timeout_seconds=1) as runner:
        still_works(runner)
        started = time.monotonic()

        result = runner.extract(document, "application/pdf", "endlos.pdf")

        took = time.monotonic() - started
        assert result == Extraction("failed", detail="time limit of 1 s exceeded")
        # A wall-clock limit: the caller gets control back once it passes and the child is
        # killed; the margin is for a busy host, where killing and reaping take a while.
        assert 1 <= took < 1 + 20
        still_works(runner)


# --- e-mail -------------------------------------------------------------------------------


def nested_email(depth: int) -> bytes:
    message = f"Subject: Kern\r\n\r\n{SECRET}\r\n"
    for level in range(depth):
        boundary = f"grenze-{level}"
        message = (
            f"Subject: Ebene {level}\r\nMIME-Version: 1.0\r\n"
            f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
            f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nText der Ebene {level}\r\n"
            f"--{boundary}\r\nContent-Type: message/rfc822\r\n\r\n{message}\r\n"
            f"--{boundary}--\r\n"
        )
    return message.encode()


@pytest.mark.parametrize("depth", [10, 3000])
def test_deeply_nested_emails_are_read_only_to_the_configured_depth(runner, depth):
    result, cpu = timed(runner, nested_email(depth), "message/rfc822", "weitergeleitet.eml")

    assert cpu < 20
    assert SECRET not in result.text
    if result.status == "extracted":  # the outer levels, then a note
        assert f"Text der Ebene {depth - 1}" in result.text
        assert "attachments nested deeper than 3 skipped" in result.detail
    else:
        assert result.status == "failed" and result.detail  # e.g. too deep to parse at all
    still_works(runner)


def test_an_email_with_thousands_of_attachments_stays_within_its_text_budget():
    boundary = "viele"
    parts = "".join(
        f"--{boundary}\r\nContent-Type: text/plain\r\n"
        f'Content-Disposition: attachment; filename="{number}.txt"\r\n\r\n'
        + "Anlage " * 200
        + "\r\n"
        for number in range(2_000)
    )
    message = (
        "Subject: Anlagen\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n{parts}--{boundary}--\r\n'
    ).encode()
    with ExtractionRunner(ExtractionLimits(max_chars=100_000), timeout_seconds=30) as runner:
        still_works(runner)
        result, cpu = timed(runner, message, "message/rfc822", "anlagen.eml")

    assert result.status == "extracted"
    assert len(result.text) <= 100_000
    assert result.detail == "truncated at 100000 characters"
    assert cpu < 20


# --- all the way through: upload, worker, index ---------------------------------------------


def test_hostile_documents_fail_extraction_but_stay_stored_and_leak_nothing(
    town, ports, secret_file
):
    case_file = town.case_file()
    doctype, reference = xml_attacks(secret_file)["external entity"]
    documents = {
        "xxe.docx": make_zip(
            {
                "word/document.xml": word_xml(
                    f"<w:p><w:r><w:t>{reference}</w:t></w:r></w:p>", doctype
                )
            }
        ),
        "bombe.docx": zip_with_zeros("word/document.xml", 250),
        "laughs.odt": make_zip(
            {
                "content.xml": odt_content(
                    "<text:p>&j;</text:p>", xml_attacks(secret_file)["billion laughs"][0]
                )
            }
        ),
    }
    uploaded = {}
    for filename, content in documents.items():
        boundary = b"eakte-bomb"
        response = post_raw(
            town.anna,
            case_file["id"],
            multipart([file_part(filename, content)], boundary),
            boundary,
        )
        assert response.status_code == 201, response.get_data(as_text=True)
        uploaded[filename] = response.get_json()

    child_cpu = cpu_seconds(ports.extractor._process.pid) if ports.extractor._process else 0.0
    drain(ports)
    if ports.extractor._process is not None:  # the bombs cost the child little work
        assert cpu_seconds(ports.extractor._process.pid) - child_cpu < 30

    for filename, document in uploaded.items():
        shown = town.anna.get(f"/documents/{document['id']}").get_json()
        assert shown["extraction_status"] == "failed", (filename, shown)
        assert shown["extraction_detail"]
        download = town.anna.get(f"/documents/{document['id']}/content")
        assert download.status_code == 200 and download.data == documents[filename]
    for word in (SECRET, "root", "haha"):
        hits = town.anna.get("/search", query_string={"q": word}).get_json()
        assert hits["items"] == [] and hits["total"] == 0, word


# --- nobody parses XML without defusedxml ----------------------------------------------------

# Writing XML (xdomea export) is safe; parsing it is where entities strike.
XML_PARSERS = {"xml.dom", "xml.sax", "xml.etree", "lxml", "xml.parsers.expat", "xmltodict"}
ALLOWED = {
    ("xml.sax.saxutils", "XMLGenerator"),  # writes
    ("xml.sax.xmlreader", "AttributesNSImpl"),  # a plain attribute mapping for the writer
    ("xml.etree.ElementTree", "Element"),  # a type for annotations (parsing is defusedxml's)
    ("xml.parsers.expat", "errors"),  # error codes only
}


def test_no_module_parses_xml_without_defusedxml():
    offenders = []
    for path in sorted(EAKTE.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported = [(alias.name, None) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported = [(node.module, alias.name) for alias in node.names]
            else:
                continue
            for module, name in imported:
                unsafe = any(module == p or module.startswith(p + ".") for p in XML_PARSERS)
                if unsafe and (module, name) not in ALLOWED:
                    offenders.append(f"{path.relative_to(EAKTE.parent)}: {module} {name or ''}")
    assert offenders == []
