"""Documents and their immutable, encrypted versions."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eakte.db import Base, UTCDateTime
from eakte.models._columns import created_at, enum_column, one_of, uuid_pk
from eakte.models.organisation import Principal
from eakte.models.records import TITLE_MAX, CaseFile
from eakte.models.search import ERROR_MAX
from eakte.models.vocabulary import ExtractionStatus

FILENAME_MAX = 255


class Document(Base):
    __tablename__ = "document"

    id: Mapped[uuid.UUID] = uuid_pk()
    case_file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), index=True)
    process_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("process.id"), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    latest_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = created_at()
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("principal.id"))
    # Schlusszeichnung: the version an approved final_sign made final; no versions after it.
    final_version: Mapped[int | None] = mapped_column(Integer)
    final_signed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    final_signed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("principal.id"))

    case_file: Mapped[CaseFile] = relationship()
    created_by: Mapped[Principal | None] = relationship(foreign_keys=[created_by_id])
    final_signed_by: Mapped[Principal | None] = relationship(foreign_keys=[final_signed_by_id])
    latest: Mapped[DocumentVersion] = relationship(
        primaryjoin="and_(foreign(DocumentVersion.document_id) == Document.id, "
        "DocumentVersion.number == Document.latest_version)",
        viewonly=True,
        uselist=False,
    )


class DocumentVersion(Base):
    """One stored object. The row is the truth: written only after its object exists.

    `id` is the version's identity bound into every encrypted segment;
    `wrapped_key` is its data key wrapped by key `kek_id`, NULL once shredded.
    """

    __tablename__ = "document_version"
    __table_args__ = (
        UniqueConstraint("document_id", "number"),
        CheckConstraint(one_of("extraction_status", ExtractionStatus), name="extraction_status"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("document.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(255))
    filename: Mapped[str] = mapped_column(String(FILENAME_MAX))
    sha256: Mapped[str] = mapped_column(String(64))
    object_key: Mapped[str] = mapped_column(String(64), unique=True)
    segment_size: Mapped[int] = mapped_column(Integer)
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary(128))
    kek_id: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = created_at()
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("principal.id"))
    shredded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Set by the worker; never the text itself (that lives only in the search index).
    extraction_status: Mapped[str] = enum_column(
        ExtractionStatus, default=ExtractionStatus.PENDING, server_default=ExtractionStatus.PENDING
    )
    extraction_detail: Mapped[str | None] = mapped_column(String(ERROR_MAX))

    document: Mapped[Document] = relationship()
    created_by: Mapped[Principal | None] = relationship()
