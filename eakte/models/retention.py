"""Legal holds, disposition proposals with their four-eyes approvals, and tombstones."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    exists,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eakte.db import Base, UTCDateTime
from eakte.models._columns import created_at, enum_column, one_of, uuid_pk
from eakte.models.organisation import Principal
from eakte.models.records import CaseFile, FilePlanNode
from eakte.models.vocabulary import Disposition, ItemState, ProposalStatus

REASON_MAX = 1000


class LegalHold(Base):
    """Aussonderungssperre: while a hold is active the case file is never disposed."""

    __tablename__ = "legal_hold"
    __table_args__ = (
        Index(
            "ix_legal_hold_active",
            "case_file_id",
            postgresql_where=text("released_at IS NULL"),
            sqlite_where=text("released_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    case_file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"))
    reason: Mapped[str] = mapped_column(String(REASON_MAX))
    placed_at: Mapped[dt.datetime] = created_at()
    placed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("principal.id"))
    released_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    released_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("principal.id"))
    release_reason: Mapped[str | None] = mapped_column(String(REASON_MAX))

    case_file: Mapped[CaseFile] = relationship(lazy="joined")
    placed_by: Mapped[Principal | None] = relationship(foreign_keys=[placed_by_id])
    released_by: Mapped[Principal | None] = relationship(foreign_keys=[released_by_id])


class DispositionProposal(Base):
    """Files of one file plan node due for one disposition, waiting for two approvals."""

    __tablename__ = "disposition_proposal"
    __table_args__ = (
        CheckConstraint(one_of("disposition", Disposition), name="disposition"),
        CheckConstraint(one_of("status", ProposalStatus), name="status"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    file_plan_node_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("file_plan_node.id"), index=True
    )
    disposition: Mapped[str] = enum_column(Disposition)
    status: Mapped[str] = enum_column(ProposalStatus, default=ProposalStatus.PENDING.value)
    as_of: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = created_at()
    # NULL: made by the scheduled job, which approves nothing itself.
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("principal.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    rejected_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("principal.id"))
    rejection_reason: Mapped[str | None] = mapped_column(String(REASON_MAX))
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The signed destruction / handover certificate (JSON text and its signature).
    certificate: Mapped[str | None] = mapped_column(Text)
    certificate_signature: Mapped[str | None] = mapped_column(Text)
    # The xdomea 0503 package for the archive, stored encrypted like a document version
    # (bound to the proposal's id) until the archive confirms the import.
    export_object_key: Mapped[str | None] = mapped_column(String(64))
    export_size: Mapped[int | None] = mapped_column(BigInteger)
    export_sha256: Mapped[str | None] = mapped_column(String(64))
    export_segment_size: Mapped[int | None] = mapped_column(Integer)
    export_wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary(128))
    export_kek_id: Mapped[str | None] = mapped_column(String(64))

    file_plan_node: Mapped[FilePlanNode] = relationship(lazy="joined")
    created_by: Mapped[Principal | None] = relationship(foreign_keys=[created_by_id])
    items: Mapped[list[DispositionItem]] = relationship(
        back_populates="proposal", order_by="DispositionItem.reference"
    )
    approvals: Mapped[list[ProposalApproval]] = relationship(
        back_populates="proposal", order_by="ProposalApproval.approved_at"
    )


class DispositionItem(Base):
    """One case file in a proposal; a file is in at most one undecided proposal."""

    __tablename__ = "disposition_item"
    __table_args__ = (
        CheckConstraint(one_of("state", ItemState), name="state"),
        Index(
            "ux_disposition_item_open",
            "case_file_id",
            unique=True,
            postgresql_where=text("state = 'proposed'"),
            sqlite_where=text("state = 'proposed'"),
        ),
    )

    proposal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("disposition_proposal.id"), primary_key=True
    )
    case_file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), primary_key=True)
    reference: Mapped[str] = mapped_column(String(64))
    # The date the file was due by when proposed; a rejection holds until it changes.
    retain_until: Mapped[dt.date | None] = mapped_column(Date)
    state: Mapped[str] = enum_column(ItemState, default=ItemState.PROPOSED.value)
    note: Mapped[str | None] = mapped_column(String(REASON_MAX))

    proposal: Mapped[DispositionProposal] = relationship(back_populates="items")
    case_file: Mapped[CaseFile] = relationship()


class ProposalApproval(Base):
    """One records manager's yes; the key makes a second yes by the same person impossible."""

    __tablename__ = "proposal_approval"

    proposal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("disposition_proposal.id"), primary_key=True
    )
    principal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("principal.id"), primary_key=True)
    approved_at: Mapped[dt.datetime] = created_at()

    proposal: Mapped[DispositionProposal] = relationship(back_populates="approvals")
    principal: Mapped[Principal] = relationship(lazy="joined")


class Tombstone(Base):
    """What remains of a disposed case file: no title, no names, no content."""

    __tablename__ = "tombstone"
    __table_args__ = (CheckConstraint(one_of("disposition", Disposition), name="disposition"),)

    case_file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), primary_key=True)
    reference: Mapped[str] = mapped_column(String(64))
    file_plan_code: Mapped[str] = mapped_column(String(32))
    department_code: Mapped[str] = mapped_column(String(32))
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    retain_until: Mapped[dt.date | None] = mapped_column(Date)
    disposition: Mapped[str] = enum_column(Disposition)
    disposed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    proposal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("disposition_proposal.id"))
    approvers: Mapped[list[str]] = mapped_column(JSON)
    # Per version destroyed: document id, number, SHA-256 of the plaintext.
    destroyed: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


def is_held(case_file_id: object) -> ColumnElement[bool]:
    """SQL: the case file has a legal hold that is not released."""
    return exists().where(LegalHold.case_file_id == case_file_id, LegalHold.released_at.is_(None))
