"""The xdomea 3.1.0 handover (Aussonderung.Aussonderung.0503): what the archive receives.

Set EAKTE_XDOMEA_XSD_DIR to a folder holding the official 3.1.0 schemas (either the
schema files themselves or a `3.1.0/` subfolder next to `xoev/xoev-code.xsd`) to
validate the message against them; without it that one test is skipped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import tracemalloc
import uuid
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from eakte.retention.xdomea import (
    NAMESPACE,
    ExportCaseFile,
    ExportDocument,
    ExportIntegrityError,
    ExportMessage,
    ExportProcess,
    ExportVersion,
    Institution,
    archive_name,
    message_name,
    message_xml,
    primary_document_name,
    stream_archive,
)

NS = {"x": NAMESPACE}
UUID_START = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MESSAGE_XSD = "xdomea-Nachrichten-AussonderungDurchfuehren.xsd"
T0 = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
MiB = 1024 * 1024


def version(number: int, data: bytes, filename: str, media_type: str) -> ExportVersion:
    return ExportVersion(
        number=number,
        filename=filename,
        media_type=media_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        created_at=T0 + dt.timedelta(days=number),
        open=lambda: iter([data[: len(data) // 2], data[len(data) // 2 :]]),
    )


def document(title: str, *versions: ExportVersion) -> ExportDocument:
    return ExportDocument(id=uuid.uuid4(), title=title, created_at=T0, versions=list(versions))


def case_file(
    reference: str,
    title: str,
    *,
    processes: list[ExportProcess] = (),
    documents: list[ExportDocument] = (),
    closed_on: dt.date | None = dt.date(2026, 2, 27),
    disposition: str = "archive",
) -> ExportCaseFile:
    return ExportCaseFile(
        id=uuid.uuid4(),
        reference=reference,
        title=title,
        file_plan_code=reference.split("-")[0],
        file_plan_title="Gaststätten & Märkte",
        opened_on=dt.date(2019, 5, 6),
        closed_on=closed_on,
        retention_years=10,
        disposition=disposition,
        processes=list(processes),
        documents=list(documents),
    )


def message(*case_files: ExportCaseFile) -> ExportMessage:
    return ExportMessage(
        process_id=uuid.uuid4(),
        created_at=T0,
        sender=Institution("Stadt Musterstadt, Ordnungsamt", code="ags:09162000"),
        receiver=Institution("Stadtarchiv Musterstadt"),
        case_files=list(case_files),
    )


def realistic_message() -> ExportMessage:
    """Two case files, processes, loose documents and documents with several versions."""
    application = document(
        "Antrag auf Erteilung einer Gaststättenerlaubnis",
        version(1, b"%PDF-1.7 Entwurf", "Antrag.pdf", "application/pdf"),
        version(2, b"%PDF-1.7 unterschrieben", "Antrag_unterschrieben.pdf", "application/pdf"),
        version(3, b"%PDF-1.7 mit Anlagen", "Antrag (final).PDF", "application/pdf"),
    )
    notice = document(
        "Bescheid <Entwurf> & Anlagen",
        version(1, "Größenangaben für Äußeres".encode(), "Bescheid.docx", "application/x-docx"),
    )
    note = document("Aktenvermerk", version(1, b"Vermerk", "vermerk", "text/plain"))
    scan = document("Lageplan", version(1, bytes(range(256)) * 8, "lageplan.tiff", "image/tiff"))
    first = case_file(
        "32.10-0007/2026",
        "Gaststättenerlaubnis „Zum Löwen“",
        processes=[
            ExportProcess(uuid.uuid4(), "Erlaubnisverfahren", T0, [application, notice]),
            ExportProcess(uuid.uuid4(), "Leerer Vorgang", T0, []),
        ],
        documents=[note],
    )
    second = case_file(
        "32.11-0002/2025",
        "Marktzulassung Wochenmarkt",
        processes=[ExportProcess(uuid.uuid4(), "Zulassung", T0, [scan])],
        documents=[document("Ohne Inhalt")],
        disposition="destroy",
    )
    return message(first, second)


def all_versions(msg: ExportMessage) -> list[tuple[ExportDocument, ExportVersion]]:
    result = []
    for akte in msg.case_files:
        documents = [*akte.documents, *(d for p in akte.processes for d in p.documents)]
        result.extend((d, v) for d in documents for v in d.versions)
    return result


def payload(v: ExportVersion) -> bytes:
    return b"".join(v.open())


def unzip(msg: ExportMessage) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(stream_archive(msg))))


def parse(msg: ExportMessage) -> ET.Element:
    return ET.fromstring(message_xml(msg))


def local(element: ET.Element) -> str:
    return element.tag.rpartition("}")[2]


# --- the zip ----------------------------------------------------------------------------


def test_archive_and_message_are_named_after_the_prozessid():
    process_id = uuid.UUID("9fde4e7a-b41b-11ec-9225-005056871b7c")
    assert archive_name(process_id) == f"{process_id}_Aussonderung.Aussonderung.0503.zip"
    assert message_name(process_id) == f"{process_id}_Aussonderung.Aussonderung.0503.xml"


def test_zip_holds_the_message_first_and_one_file_per_version():
    msg = realistic_message()
    names = unzip(msg).namelist()
    assert names[0] == message_name(msg.process_id)
    assert len(names) == 1 + len(all_versions(msg)) == 7
    assert len(set(names)) == len(names)
    for name in names[1:]:
        assert UUID_START.match(name), name


def test_every_primaerdokument_is_in_the_zip_and_every_file_in_the_message():
    msg = realistic_message()
    archive = unzip(msg)
    root = ET.fromstring(archive.read(message_name(msg.process_id)))
    referenced = [e.text for e in root.iterfind(".//x:Primaerdokument/x:Dateiname", NS)]
    assert len(referenced) == len(set(referenced))
    assert set(referenced) == set(archive.namelist()[1:])


def test_document_bytes_round_trip_exactly():
    msg = realistic_message()
    archive = unzip(msg)
    assert archive.testzip() is None
    for doc, v in all_versions(msg):
        assert archive.read(primary_document_name(doc.id, v.number, v.filename)) == payload(v)


def test_the_zip_carries_exactly_the_message_xml():
    msg = realistic_message()
    assert unzip(msg).read(message_name(msg.process_id)) == message_xml(msg)


def test_primary_document_names_are_stable_distinct_uuids_with_the_original_extension():
    doc_id = uuid.uuid4()
    first = primary_document_name(doc_id, 1, "Antrag (final).PDF")
    assert first == primary_document_name(doc_id, 1, "Antrag (final).PDF")
    assert first.endswith(".pdf") and UUID_START.match(first)
    assert uuid.UUID(first.removesuffix(".pdf")) != doc_id
    assert primary_document_name(doc_id, 2, "Antrag.pdf") != first
    assert "." not in primary_document_name(doc_id, 1, "Vermerk")
    assert "." not in primary_document_name(doc_id, 1, "odd.näme")


def test_each_version_is_opened_once_and_only_when_its_turn_comes():
    opened: list[int] = []

    def opener(number: int, data: bytes):
        def open_() -> Iterator[bytes]:
            opened.append(number)
            yield data

        return open_

    versions = [
        replace(version(n, b"x", "v.txt", "text/plain"), open=opener(n, b"x")) for n in (1, 2)
    ]
    msg = message(case_file("32.10-1/2026", "A", documents=[document("D", *versions)]))
    stream = stream_archive(msg)
    next(stream)  # the message
    assert opened == []
    list(stream)
    assert opened == [1, 2]


# --- the message ------------------------------------------------------------------------


def test_root_element_namespace_prefix_and_encoding():
    xml = message_xml(realistic_message())
    assert xml.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(xml)
    assert root.tag == f"{{{NAMESPACE}}}Aussonderung.Aussonderung.0503"
    assert b"<xdomea:Aussonderung.Aussonderung.0503 xmlns:xdomea=" in xml  # prefix is mandated


def test_kopf_follows_the_schema_order_and_names_the_process_and_message_type():
    msg = realistic_message()
    kopf = parse(msg).find("x:Kopf", NS)
    assert [local(child) for child in kopf] == [
        "ProzessID",
        "Nachrichtentyp",
        "Erstellungszeitpunkt",
        "Absender",
        "Empfaenger",
        "SendendesSystem",
        "Importbestaetigung",
        "RueckmeldungArchivkennung",
        "Empfangsbestaetigung",
    ]
    assert kopf.findtext("x:ProzessID", namespaces=NS) == str(msg.process_id)
    message_type = kopf.find("x:Nachrichtentyp", NS)
    assert message_type.findtext("code") == "0503"  # code/name are unqualified
    assert message_type.attrib == {
        "listURI": "urn:xoev-de:xdomea:codeliste:nachrichtentyp",
        "listVersionID": "2.0",
    }
    assert kopf.findtext("x:Erstellungszeitpunkt", namespaces=NS) == "2026-03-02T09:30:00Z"
    assert kopf.findtext("x:Absender/x:Institution/x:Name", namespaces=NS) == msg.sender.name
    assert (
        kopf.findtext("x:Absender/x:Behoerdenkennung/x:Behoerdenschluessel/code", namespaces=NS)
        == "ags:09162000"
    )
    assert kopf.findtext("x:Empfaenger/x:Institution/x:Name", namespaces=NS) == msg.receiver.name
    assert kopf.find("x:Empfaenger/x:Behoerdenkennung", NS) is None
    assert kopf.findtext("x:Importbestaetigung", namespaces=NS) == "1"
    assert kopf.findtext("x:SendendesSystem/x:Produktname", namespaces=NS) == "eakte"


def test_each_case_file_is_an_akte_with_reference_title_runtime_and_retention():
    msg = realistic_message()
    objects = parse(msg).findall("x:Schriftgutobjekt", NS)
    assert len(objects) == len(msg.case_files)
    akte = objects[0].find("x:Akte", NS)
    expected = msg.case_files[0]
    assert [local(child) for child in akte] == [
        "Identifikation",
        "AllgemeineMetadaten",
        "ArchivspezifischeMetadaten",
        "Laufzeit",
        "Akteninhalt",
        "ZdA",
        "ZdADatum",
    ]
    assert akte.findtext("x:Identifikation/x:ID", namespaces=NS) == str(expected.id)
    meta = akte.find("x:AllgemeineMetadaten", NS)
    assert meta.findtext("x:Kennzeichen", namespaces=NS) == "32.10-0007/2026"
    assert meta.findtext("x:Betreff", namespaces=NS) == "Gaststättenerlaubnis „Zum Löwen“"
    assert meta.findtext("x:Aktenplaneinheit/x:Kennzeichen", namespaces=NS) == "32.10"
    assert akte.findtext("x:Laufzeit/x:Beginn", namespaces=NS) == "2019-05-06"
    assert akte.findtext("x:Laufzeit/x:Ende", namespaces=NS) == "2026-02-27"
    archival = akte.find("x:ArchivspezifischeMetadaten", NS)
    assert archival.findtext("x:Aufbewahrungsdauer/x:AnzahlJahre", namespaces=NS) == "10"
    appraisal = archival.find("x:Aussonderungsart/x:Aussonderungsart", NS)
    assert appraisal.findtext("code") == "A"
    assert appraisal.get("listURI") == "urn:xoev-de:xdomea:codeliste:aussonderungsart"
    assert appraisal.get("listVersionID") == "1.0"
    assert archival.findtext("x:Aufbewahrungsende", namespaces=NS) == "2036-12-31"
    assert akte.findtext("x:ZdA", namespaces=NS) == "1"
    assert akte.findtext("x:ZdADatum", namespaces=NS) == "2026-02-27"


def test_destroy_is_aussonderungsart_v_and_an_open_case_file_has_no_end():
    akte = parse(message(case_file("1-1/2026", "Offen", closed_on=None, disposition="destroy")))
    akte = akte.find("x:Schriftgutobjekt/x:Akte", NS)
    assert akte.findtext(".//x:Aussonderungsart/x:Aussonderungsart/code", namespaces=NS) == "V"
    assert akte.find("x:Laufzeit/x:Ende", NS) is None
    assert akte.find(".//x:Aufbewahrungsende", NS) is None
    assert akte.findtext("x:ZdA", namespaces=NS) == "0"
    assert akte.find("x:Akteninhalt", NS) is None


def test_vorgang_dokument_version_format_primaerdokument_nesting():
    msg = realistic_message()
    akte = parse(msg).find("x:Schriftgutobjekt/x:Akte", NS)
    content = akte.find("x:Akteninhalt", NS)
    # Loose documents sit directly in the Akte, before the processes (schema order).
    assert [local(child) for child in content] == ["Dokument", "Vorgang", "Vorgang"]
    assert content.findtext("x:Dokument/x:AllgemeineMetadaten/x:Betreff", namespaces=NS) == (
        "Aktenvermerk"
    )
    process = content.find("x:Vorgang", NS)
    assert process.findtext("x:Identifikation/x:ID", namespaces=NS) == str(
        msg.case_files[0].processes[0].id
    )
    documents = process.findall("x:Dokument", NS)
    assert len(documents) == 2
    versions = documents[0].findall("x:Version", NS)
    assert [v.findtext("x:Nummer", namespaces=NS) for v in versions] == ["1", "2", "3"]
    fmt = versions[2].find("x:Format", NS)
    assert [local(child) for child in fmt] == [
        "Name",
        "SonstigerName",
        "Version",
        "Primaerdokument",
    ]
    assert fmt.find("x:Name", NS).get("listURI") == "urn:xoev-de:xdomea:codeliste:dateiformat"
    assert fmt.find("x:Name", NS).get("listVersionID")
    assert fmt.findtext("x:Name/code", namespaces=NS) == "100"
    assert fmt.findtext("x:SonstigerName", namespaces=NS) == "application/pdf"
    primary = fmt.find("x:Primaerdokument", NS)
    expected = msg.case_files[0].processes[0].documents[0]
    assert primary.findtext("x:Dateiname", namespaces=NS) == primary_document_name(
        expected.id, 3, "Antrag (final).PDF"
    )
    assert primary.findtext("x:DateinameOriginal", namespaces=NS) == "Antrag (final).PDF"
    assert primary.findtext("x:DatumUhrzeit", namespaces=NS) == "2026-03-05T09:30:00Z"


def test_umlauts_survive_and_markup_characters_are_escaped():
    xml = message_xml(realistic_message())
    assert "Gaststättenerlaubnis „Zum Löwen“".encode() in xml
    assert b"Bescheid &lt;Entwurf&gt; &amp; Anlagen" in xml
    assert b"Gastst\xc3\xa4tten &amp; M\xc3\xa4rkte" in xml
    titles = [e.text for e in ET.fromstring(xml).iterfind(".//x:Betreff", NS)]
    assert "Bescheid <Entwurf> & Anlagen" in titles


def test_characters_xml_cannot_carry_are_replaced_not_dropped():
    msg = message(case_file("1-1/2026", "Bell\x07 and \x0bvertical tab\ud800"))
    title = parse(msg).findtext(".//x:Akte/x:AllgemeineMetadaten/x:Betreff", namespaces=NS)
    assert title == "Bell\ufffd and \ufffdvertical tab\ufffd"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda m: replace(m, case_files=[]), "at least one case file"),
        (lambda m: replace(m, created_at=dt.datetime(2026, 1, 1)), "without time zone"),
        (
            lambda m: message(case_file("1-1/2026", "X", disposition="keep")),
            "unknown disposition",
        ),
    ],
)
def test_messages_that_cannot_be_valid_are_refused(change, problem):
    with pytest.raises(ValueError, match=problem):
        message_xml(change(realistic_message()))


def test_a_version_listed_twice_is_refused_before_any_byte_is_streamed():
    v = version(1, b"x", "a.txt", "text/plain")
    msg = message(case_file("1-1/2026", "X", documents=[document("D", v, v)]))
    with pytest.raises(ValueError, match="occurs twice"):
        next(stream_archive(msg))


# --- streaming and integrity ------------------------------------------------------------


def test_a_large_document_streams_in_little_memory_and_before_it_is_fully_read():
    chunk = bytes(range(256)) * 4096  # 1 MiB, reused so the test itself allocates nothing
    count = 200
    digest = hashlib.sha256()
    for _ in range(count):
        digest.update(chunk)
    reads = 0

    def open_() -> Iterator[bytes]:
        nonlocal reads
        for _ in range(count):
            reads += 1
            yield chunk

    big = ExportVersion(1, "scan.tiff", "image/tiff", count * MiB, digest.hexdigest(), T0, open_)
    msg = message(case_file("1-1/2026", "Große Akte", documents=[document("Scan", big)]))

    total = 0
    reads_at_first_document_bytes = None
    tracemalloc.start()
    try:
        for i, piece in enumerate(stream_archive(msg)):
            total += len(piece)
            if i == 1 and reads_at_first_document_bytes is None:
                reads_at_first_document_bytes = reads
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert total > count * MiB
    assert reads_at_first_document_bytes is not None
    assert reads_at_first_document_bytes < 5, "the zip waited for the whole document"
    assert peak < 20 * MiB, f"peak traced memory {peak / MiB:.1f} MiB"


def test_bytes_that_do_not_match_the_checksum_raise():
    good = version(1, b"Originalinhalt", "a.txt", "text/plain")
    tampered = replace(good, open=lambda: iter([b"Originalinhalf"]))
    msg = message(case_file("1-1/2026", "X", documents=[document("D", tampered)]))
    with pytest.raises(ExportIntegrityError, match="SHA-256") as caught:
        list(stream_archive(msg))
    assert caught.value.version_number == 1
    assert caught.value.document_id == msg.case_files[0].documents[0].id
    assert caught.value.code == "export-integrity-failure"


@pytest.mark.parametrize("content", [b"Original", b"Originalinhalt und mehr"])
def test_bytes_of_another_size_raise(content):
    good = version(1, b"Originalinhalt", "a.txt", "text/plain")
    wrong = replace(good, open=lambda: iter([content]))
    msg = message(case_file("1-1/2026", "X", documents=[document("D", wrong)]))
    with pytest.raises(ExportIntegrityError, match="14"):
        list(stream_archive(msg))


def test_a_version_over_the_zip64_limit_is_written_as_zip64(monkeypatch):
    # Lower the limit instead of streaming 2 GiB: the same code path, in milliseconds.
    data = bytes(range(256)) * 200
    msg = message(case_file("1-1/2026", "X", documents=[document("D", version(1, data, "b", "x"))]))
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", len(message_xml(msg)) + 1)
    archive = unzip(msg)
    member = archive.infolist()[1]
    assert member.extra.startswith(b"\x01\x00")  # the zip64 extra field
    assert archive.read(member) == data
    assert archive.testzip() is None


def test_storage_iterators_are_closed_even_when_the_export_fails():
    closed = []

    def open_() -> Iterator[bytes]:
        try:
            yield b"falsch"
        finally:
            closed.append(True)

    good = version(1, b"richtig", "a.txt", "text/plain")
    wrong = replace(good, size=6, open=open_)
    msg = message(case_file("1-1/2026", "X", documents=[document("D", wrong)]))
    with pytest.raises(ExportIntegrityError):
        list(stream_archive(msg))
    assert closed == [True]


# --- the official schemas ---------------------------------------------------------------


def official_schema_path() -> Path:
    folder = os.environ.get("EAKTE_XDOMEA_XSD_DIR")
    if not folder:
        pytest.skip("EAKTE_XDOMEA_XSD_DIR does not point to the xdomea 3.1.0 schemas")
    for candidate in (Path(folder) / MESSAGE_XSD, Path(folder) / "3.1.0" / MESSAGE_XSD):
        if candidate.is_file():
            return candidate
    pytest.fail(f"{MESSAGE_XSD} not found in {folder} or {folder}/3.1.0")


def test_the_message_is_valid_against_the_official_schema():
    etree = pytest.importorskip("lxml.etree")
    schema = etree.XMLSchema(etree.parse(str(official_schema_path())))
    for msg in (
        realistic_message(),
        message(case_file("1-1/2026", "Offen", closed_on=None, disposition="destroy")),
    ):
        document_ = etree.fromstring(message_xml(msg))
        assert schema.validate(document_), "\n".join(str(e) for e in schema.error_log)
