"""The composition root: the only place that turns settings into concrete adapters."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from eakte.config import Settings
from eakte.db import make_engine, make_session_factory
from eakte.evidence.pseudonyms import AddressHasher
from eakte.evidence.signing import FileSigner
from eakte.preview import PdfConverter
from eakte.preview.libreoffice import LibreOfficeConverter, find_program
from eakte.search.base import SearchIndex
from eakte.search.extract import ExtractionLimits
from eakte.search.extract.runner import ExtractionRunner
from eakte.services.context import Ports
from eakte.storage.base import BlobStore
from eakte.storage.envelope import EnvelopeStore
from eakte.storage.filesystem import FileSystemBlobStore
from eakte.storage.keyring import FileKeyRing


def build_ports(settings: Settings) -> Ports:
    engine = make_engine(
        settings.database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms
    )
    blob_store = build_blob_store(settings)
    keyring = FileKeyRing(settings.keyring_path)
    return Ports(
        settings=settings,
        session_factory=make_session_factory(engine),
        blob_store=blob_store,
        keyring=keyring,
        envelope_store=EnvelopeStore(blob_store, keyring),
        signer=FileSigner(settings.audit_signing_key_path),
        address_hasher=AddressHasher(settings.audit_address_key_path),
        search_index=build_search_index(settings),
        extractor=build_extractor(settings),
        pdf_converter=build_pdf_converter(),
    )


def build_blob_store(settings: Settings) -> BlobStore:
    url = urlsplit(settings.storage_url)
    if url.scheme == "s3":
        from eakte.storage.s3 import S3BlobStore

        return S3BlobStore.from_settings(settings)
    return FileSystemBlobStore(Path(unquote(url.path)))


def build_search_index(settings: Settings) -> SearchIndex:
    if settings.search_hosts:
        from eakte.search.elastic import ElasticsearchIndex

        return ElasticsearchIndex(
            settings.search_hosts,
            alias=settings.search_index,
            username=settings.search_username,
            password=settings.search_password,
            api_key=settings.search_api_key,
        )
    from eakte.search.embedded import EmbeddedIndex

    return EmbeddedIndex(Path(unquote(urlsplit(settings.search_url).path)))


def build_extractor(settings: Settings) -> ExtractionRunner:
    """The child process starts at the first extraction, so app servers never pay for it."""
    ocr = {"on": True, "off": False}.get(settings.ocr)  # "auto": None, see ExtractionLimits
    limits = ExtractionLimits(max_chars=settings.extract_max_chars, ocr=ocr)
    return ExtractionRunner(limits, timeout_seconds=settings.extract_timeout_seconds)


def build_pdf_converter() -> PdfConverter | None:
    """LibreOffice headless when it is installed; otherwise DOCX/ODT get no preview."""
    program = find_program()
    return LibreOfficeConverter(program) if program else None
