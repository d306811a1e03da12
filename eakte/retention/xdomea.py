"""The xdomea 3.1.0 handover to the public archive: message 0503 and its zip.

`Aussonderung.Aussonderung.0503` is the message an authority sends when it hands
closed case files over to the archive. It travels as one zip file named
``<ProzessID>_Aussonderung.Aussonderung.0503.zip`` that holds the XML message
(``<ProzessID>_Aussonderung.Aussonderung.0503.xml``) and every version of every
document as a primary document whose name starts with a UUID.

This module is a pure "functional core": the service layer builds the dataclasses
below from the database and hands over a callable per version that yields the
plaintext; nothing here touches the database, the object store or Flask.
Only the standard library writes the XML (`xml.sax.saxutils.XMLGenerator`, so the
namespace prefix is the ``xdomea`` the specification asks for) and the zip.

The element order follows the official 3.1.0 schemas
(xdomea-Nachrichten-AussonderungDurchfuehren.xsd, xdomea-Baukasten.xsd,
xdomea-Datentypen.xsd); docs/xdomea.md lists the mapping field by field.

One idea, one module (over 400 lines): the message's data, its XML in schema order
and its zip are one format; split, each part would need the others' details.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, cast
from xml.sax.saxutils import XMLGenerator
from xml.sax.xmlreader import AttributesNSImpl

from eakte.errors import IntegrityFailureError
from eakte.retention.policy import retain_until

__all__ = [
    "MESSAGE_TYPE",
    "NAMESPACE",
    "ExportCaseFile",
    "ExportDocument",
    "ExportIntegrityError",
    "ExportMessage",
    "ExportProcess",
    "ExportVersion",
    "Institution",
    "archive_name",
    "message_name",
    "message_xml",
    "primary_document_id",
    "primary_document_name",
    "stream_archive",
]

NAMESPACE = "urn:xoev-de:xdomea:schema:3.1.0"
PREFIX = "xdomea"  # the specification (section 4.2) requires this prefix
ROOT = "Aussonderung.Aussonderung.0503"
MESSAGE_TYPE = "0503"

# Code lists whose URI and version the 3.1.0 schema fixes (Code-Typ 1).
NACHRICHTENTYP_LIST = ("urn:xoev-de:xdomea:codeliste:nachrichtentyp", "2.0")
AUSSONDERUNGSART_LIST = ("urn:xoev-de:xdomea:codeliste:aussonderungsart", "1.0")
# The file format list is a Code-Typ 3: the schema fixes only its URI and makes the
# version mandatory in every message. 2.0 is the version published xdomea 3 examples use.
DATEIFORMAT_LIST = ("urn:xoev-de:xdomea:codeliste:dateiformat", "2.0")
# "Sonstiges": the schema says SonstigerName must then name the format. We send the
# media type there; see docs/xdomea.md for why no other code is used yet.
DATEIFORMAT_OTHER = "100"

_DISPOSITION_CODES = {
    # disposition -> (Aussonderungsart code, its description in the code list)
    "archive": ("A", "Das Schriftgutobjekt ist archivwürdig."),
    "destroy": ("V", "Das Schriftgutobjekt ist zum Vernichten markiert."),
}
_MAX_RETENTION_YEARS = 65535  # AnzahlJahre is an xs:unsignedShort

_SUFFIX = re.compile(r"\.([A-Za-z0-9]{1,16})$")
# Characters XML 1.0 cannot carry at all; they are replaced, not dropped, so a
# reader sees that something was there.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

# The spool is drained once it holds this much (and at the end of every member), so
# tiny chunks from storage do not turn into tiny writes to the client.
_DRAIN_AT = 64 * 1024
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry


class ExportIntegrityError(IntegrityFailureError):
    """A version's bytes do not match the size or SHA-256 recorded for it.

    Raised while the archive is streamed, so the consumer has already received
    part of the zip; the zip is left without its central directory and unusable.
    """

    code = "export-integrity-failure"

    def __init__(self, detail: str, *, document_id: uuid.UUID, version_number: int) -> None:
        super().__init__(detail)
        self.document_id = document_id
        self.version_number = version_number


@dataclass(frozen=True)
class Institution:
    name: str  # e.g. "Stadt Musterstadt, Ordnungsamt" / "Stadtarchiv Musterstadt"
    code: str | None = None  # Behördenkennung if known


@dataclass(frozen=True)
class ExportVersion:
    number: int
    filename: str  # the original file name (already sanitised)
    media_type: str
    size: int
    sha256: str  # hex of the plaintext
    created_at: dt.datetime  # aware
    open: Callable[[], Iterable[bytes]]  # the plaintext in chunks; called once, when written


@dataclass(frozen=True)
class ExportDocument:
    id: uuid.UUID
    title: str
    created_at: dt.datetime
    versions: list[ExportVersion]  # all versions, oldest first


@dataclass(frozen=True)
class ExportProcess:
    """A Vorgang."""

    id: uuid.UUID
    title: str
    created_at: dt.datetime
    documents: list[ExportDocument]


@dataclass(frozen=True)
class ExportCaseFile:
    """An Akte."""

    id: uuid.UUID
    reference: str  # Aktenzeichen, e.g. "32.10-0007/2026"
    title: str
    file_plan_code: str  # e.g. "32.10"
    file_plan_title: str
    opened_on: dt.date
    closed_on: dt.date | None
    retention_years: int
    disposition: str  # "archive" | "destroy"
    processes: list[ExportProcess]
    documents: list[ExportDocument]  # documents filed in no process


@dataclass(frozen=True)
class ExportMessage:
    process_id: uuid.UUID  # the xdomea ProzessID of this handover
    created_at: dt.datetime
    sender: Institution
    receiver: Institution
    case_files: list[ExportCaseFile]
    system_name: str = "eakte"
    system_version: str = "0.1.0"
    # Kopf/RueckmeldungArchivkennung: ask the archive to report its signatures in 0506.
    archive_ids_requested: bool = False
    # Kopf/Empfangsbestaetigung: ask the archive for a receipt (0507).
    receipt_requested: bool = False


# --- names -------------------------------------------------------------------------------


def archive_name(process_id: uuid.UUID) -> str:
    """The zip's name: ``<ProzessID>_Aussonderung.Aussonderung.0503.zip``."""
    return f"{process_id}_{ROOT}.zip"


def message_name(process_id: uuid.UUID) -> str:
    """The XML message's name inside the zip."""
    return f"{process_id}_{ROOT}.xml"


def primary_document_id(document_id: uuid.UUID, version_number: int) -> uuid.UUID:
    """The UUID that names one version's file.

    xdomea wants a UUID of its own per primary document (a document's several
    versions must not share one), and the same version gets the same name in a
    repeated handover, so it is derived from the document and the version number.
    """
    return uuid.uuid5(document_id, f"version/{version_number}")


def primary_document_name(document_id: uuid.UUID, version_number: int, filename: str) -> str:
    """``<UUID>.<ext>``: the version's name in the zip and in Primaerdokument/Dateiname.

    The extension is taken from the original file name when it is a plain one
    (letters and digits); the original name itself travels in DateinameOriginal.
    """
    name = str(primary_document_id(document_id, version_number))
    match = _SUFFIX.search(filename)
    return f"{name}.{match.group(1).lower()}" if match else name


# --- the message -------------------------------------------------------------------------


@dataclass
class _Element:
    name: str
    children: list[_Element] = field(default_factory=list)
    text: str | None = None
    attrs: dict[str, str] = field(default_factory=dict)
    qualified: bool = True  # False for the code/name children of XÖV code types


def _el(name: str, *children: _Element | None, text: str | None = None) -> _Element:
    return _Element(name, [child for child in children if child is not None], text)


def _code(name: str, code_list: tuple[str, str], code: str, label: str | None = None) -> _Element:
    """A Code-Typ element: listURI/listVersionID attributes and unqualified children."""
    uri, version = code_list
    element = _Element(name, attrs={"listURI": uri, "listVersionID": version})
    element.children.append(_Element("code", text=code, qualified=False))
    if label is not None:
        element.children.append(_Element("name", text=label, qualified=False))
    return element


def message_xml(message: ExportMessage) -> bytes:
    """The 0503 message as UTF-8 XML with declaration.

    Raises ValueError when the message cannot be expressed validly (no case file,
    naive timestamps, an unknown disposition, two versions with one file name).
    """
    if not message.case_files:
        raise ValueError("a 0503 message needs at least one case file")
    _check_unique_names(message)
    root = _el(
        ROOT,
        _head(message),
        *(_el("Schriftgutobjekt", _case_file(case_file)) for case_file in message.case_files),
    )
    out = io.BytesIO()
    generator = XMLGenerator(out, encoding="utf-8", short_empty_elements=True)
    generator.startDocument()
    generator.startPrefixMapping(PREFIX, NAMESPACE)
    _write(generator, root, 0)
    generator.endPrefixMapping(PREFIX)
    generator.ignorableWhitespace("\n")
    generator.endDocument()
    return out.getvalue()


def _head(message: ExportMessage) -> _Element:
    # NkAussonderungType: NkBasisType's sequence, then the three flags.
    return _el(
        "Kopf",
        _el("ProzessID", text=str(message.process_id)),
        _code("Nachrichtentyp", NACHRICHTENTYP_LIST, MESSAGE_TYPE, "Aussonderung.Aussonderung"),
        _el("Erstellungszeitpunkt", text=_datetime(message.created_at)),
        _contact("Absender", message.sender),
        _contact("Empfaenger", message.receiver),
        _el(
            "SendendesSystem",
            _el("Produktname", text=message.system_name),
            _el("Version", text=message.system_version),
        ),
        _el("Importbestaetigung", text="1"),  # fixed="1" in the schema
        _el("RueckmeldungArchivkennung", text=_boolean(message.archive_ids_requested)),
        _el("Empfangsbestaetigung", text=_boolean(message.receipt_requested)),
    )


def _contact(name: str, institution: Institution) -> _Element:
    identification = None
    if institution.code:
        identification = _el(
            "Behoerdenkennung",
            _el("Behoerdenschluessel", _Element("code", text=institution.code, qualified=False)),
        )
    return _el(name, identification, _el("Institution", _el("Name", text=institution.name)))


def _case_file(case_file: ExportCaseFile) -> _Element:
    try:
        code, label = _DISPOSITION_CODES[case_file.disposition]
    except KeyError:
        raise ValueError(f"unknown disposition {case_file.disposition!r}") from None
    appraisal = _code("Aussonderungsart", AUSSONDERUNGSART_LIST, code, label)
    if not 0 <= case_file.retention_years <= _MAX_RETENTION_YEARS:
        raise ValueError(f"retention_years out of range: {case_file.retention_years}")
    retention_end = None
    if case_file.closed_on is not None:
        retention_end = retain_until(case_file.closed_on, case_file.retention_years)
    content = None
    if case_file.documents or case_file.processes:
        # AkteType/Akteninhalt: a sequence of Dokument*, then Vorgang*, then Teilakte*.
        content = _el(
            "Akteninhalt",
            *(_document(document) for document in case_file.documents),
            *(_process(process) for process in case_file.processes),
        )
    return _el(
        "Akte",
        _el("Identifikation", _el("ID", text=str(case_file.id))),
        _el(
            "AllgemeineMetadaten",
            _el("Betreff", text=case_file.title),
            _el("Kennzeichen", text=case_file.reference),
            _el(
                "Aktenplaneinheit",
                _el("Kennzeichen", text=case_file.file_plan_code),
                _el("Inhaltsangabe", text=case_file.file_plan_title),
            ),
        ),
        _el(
            "ArchivspezifischeMetadaten",
            _el("Aufbewahrungsdauer", _el("AnzahlJahre", text=str(case_file.retention_years))),
            _el("Aussonderungsart", appraisal),
            _el("Aufbewahrungsende", text=retention_end.isoformat()) if retention_end else None,
        ),
        _el(
            "Laufzeit",
            _el("Beginn", text=case_file.opened_on.isoformat()),
            _el("Ende", text=case_file.closed_on.isoformat()) if case_file.closed_on else None,
        ),
        content,
        _el("ZdA", text=_boolean(case_file.closed_on is not None)),
        _el("ZdADatum", text=case_file.closed_on.isoformat()) if case_file.closed_on else None,
    )


def _process(process: ExportProcess) -> _Element:
    return _el(
        "Vorgang",
        _el("Identifikation", _el("ID", text=str(process.id))),
        _el("AllgemeineMetadaten", _el("Betreff", text=process.title)),
        *(_document(document) for document in process.documents),
    )


def _document(document: ExportDocument) -> _Element:
    return _el(
        "Dokument",
        _el("Identifikation", _el("ID", text=str(document.id))),
        _el("AllgemeineMetadaten", _el("Betreff", text=document.title)),
        *(_version(document, version) for version in document.versions),
    )


def _version(document: ExportDocument, version: ExportVersion) -> _Element:
    return _el(
        "Version",
        _el("Nummer", text=str(version.number)),
        _el(
            "Format",
            _code("Name", DATEIFORMAT_LIST, DATEIFORMAT_OTHER),
            _el("SonstigerName", text=version.media_type),
            _el("Version", text=""),  # required; we do not know the format's version
            _el(
                "Primaerdokument",
                _el(
                    "Dateiname",
                    text=primary_document_name(document.id, version.number, version.filename),
                ),
                _el("DateinameOriginal", text=version.filename),
                _el("DatumUhrzeit", text=_datetime(version.created_at)),
            ),
        ),
    )


def _check_unique_names(message: ExportMessage) -> None:
    seen: set[uuid.UUID] = set()
    for document, version in _versions(message):
        file_id = primary_document_id(document.id, version.number)
        if file_id in seen:
            raise ValueError(f"version {version.number} of document {document.id} occurs twice")
        seen.add(file_id)


def _versions(message: ExportMessage) -> Iterator[tuple[ExportDocument, ExportVersion]]:
    """Every version in message order: loose documents first, then those in processes."""
    for case_file in message.case_files:
        documents = [*case_file.documents]
        for process in case_file.processes:
            documents.extend(process.documents)
        for document in documents:
            for version in document.versions:
                yield document, version


def _datetime(value: dt.datetime) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"timestamp without time zone: {value.isoformat()}")
    utc = value.astimezone(dt.UTC).replace(microsecond=0, tzinfo=None)
    return utc.isoformat() + "Z"


def _boolean(value: bool) -> str:
    return "1" if value else "0"


def _text(value: str) -> str:
    return _NOT_XML_CHAR.sub("\ufffd", value)


def _write(generator: XMLGenerator, element: _Element, depth: int) -> None:
    name = (NAMESPACE if element.qualified else None, element.name)
    qname = f"{PREFIX}:{element.name}" if element.qualified else element.name
    attrs = AttributesNSImpl(
        {(None, key): _text(value) for key, value in element.attrs.items()},
        {(None, key): key for key in element.attrs},
    )
    if depth:
        generator.ignorableWhitespace("\n" + "  " * depth)
    generator.startElementNS(name, qname, attrs)
    if element.children:
        for child in element.children:
            _write(generator, child, depth + 1)
        generator.ignorableWhitespace("\n" + "  " * depth)
    elif element.text:
        generator.characters(_text(element.text))
    generator.endElementNS(name, qname)


# --- the zip -----------------------------------------------------------------------------


class _Spool:
    """A write-only, unseekable file for `zipfile`, drained by the generator.

    Without `tell`/`seek`, `zipfile` writes each member's CRC and sizes into a data
    descriptor after its data instead of seeking back, so nothing is held back.
    """

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self.pending = 0

    def write(self, data: bytes) -> int:
        self._parts.append(data if isinstance(data, bytes) else bytes(data))
        self.pending += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = self._parts[0] if len(self._parts) == 1 else b"".join(self._parts)
        self._parts.clear()
        self.pending = 0
        return data


def stream_archive(message: ExportMessage) -> Iterator[bytes]:
    """The handover zip, produced while it is read.

    The message goes first, then every version of every document, each read
    through `ExportVersion.open()` only when its turn comes. Memory stays at
    about one chunk: the zip is written into a spool that is emptied as soon as
    it holds 64 KiB. Sizes and SHA-256 are checked on the way; a mismatch raises
    ExportIntegrityError (after the bytes read so far have been yielded).

    The XML member is deflated. Documents are stored: they are mostly compressed
    formats already, and deflating them would cost far more CPU than it saves.
    """
    xml = message_xml(message)  # validates the message before the first byte leaves
    spool = _Spool()
    # _Spool is the minimal writable file zipfile needs; typeshed asks for a full IO.
    with zipfile.ZipFile(cast(IO[bytes], spool), mode="w", allowZip64=True) as archive:
        info = _member(message_name(message.process_id), message.created_at, zipfile.ZIP_DEFLATED)
        with archive.open(info, mode="w") as member:
            member.write(xml)
        yield spool.take()
        for document, version in _versions(message):
            yield from _write_version(archive, spool, document, version)
    yield spool.take()


def _write_version(
    archive: zipfile.ZipFile, spool: _Spool, document: ExportDocument, version: ExportVersion
) -> Iterator[bytes]:
    name = primary_document_name(document.id, version.number, version.filename)
    info = _member(name, version.created_at, zipfile.ZIP_STORED)
    digest = hashlib.sha256()
    read = 0
    with archive.open(info, mode="w", force_zip64=version.size >= zipfile.ZIP64_LIMIT) as member:
        chunks = version.open()
        try:
            for chunk in chunks:
                read += len(chunk)
                if read > version.size:
                    raise _mismatch(
                        document, version, f"more than the recorded {version.size} bytes"
                    )
                digest.update(chunk)
                member.write(chunk)
                if spool.pending >= _DRAIN_AT:
                    yield spool.take()
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        if read != version.size:
            raise _mismatch(document, version, f"{read} bytes instead of {version.size}")
        if digest.hexdigest() != version.sha256.lower():
            raise _mismatch(document, version, "bytes whose SHA-256 is not the recorded one")
    yield spool.take()


def _mismatch(document: ExportDocument, version: ExportVersion, what: str) -> ExportIntegrityError:
    return ExportIntegrityError(
        f"document {document.id} version {version.number} ({version.filename}): "
        f"storage returned {what}",
        document_id=document.id,
        version_number=version.number,
    )


def _member(name: str, timestamp: dt.datetime, compression: int) -> zipfile.ZipInfo:
    utc = timestamp.astimezone(dt.UTC)
    date_time = max((utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second), _ZIP_EPOCH)
    info = zipfile.ZipInfo(name, date_time=date_time)
    info.compress_type = compression
    info.external_attr = 0o644 << 16
    return info
