"""The records aggregate: file plan, case files (Akten), processes (Vorgänge), grants."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eakte.db import Base, UTCDateTime
from eakte.models._columns import created_at, enum_column, one_of, utcnow, uuid_pk
from eakte.models.organisation import Department, Principal
from eakte.models.vocabulary import CaseFileStatus, Disposition, GrantPermission

TITLE_MAX = 500


class FilePlanNode(Base):
    """A node of the Aktenplan; it carries the retention rule for files filed under it."""

    __tablename__ = "file_plan_node"
    __table_args__ = (
        CheckConstraint(one_of("disposition", Disposition), name="disposition"),
        CheckConstraint("retention_years >= 0", name="retention_years"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    code: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("file_plan_node.id"), index=True)
    retention_years: Mapped[int] = mapped_column(Integer)
    disposition: Mapped[str] = enum_column(Disposition)
    created_at: Mapped[dt.datetime] = created_at()

    parent: Mapped[FilePlanNode | None] = relationship(remote_side=[id])


class ReferenceCounter(Base):
    """Last running number handed out per file plan node and year (gap-free)."""

    __tablename__ = "reference_counter"

    file_plan_node_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("file_plan_node.id"), primary_key=True
    )
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer)


class CaseFile(Base):
    __tablename__ = "case_file"
    __table_args__ = (CheckConstraint(one_of("status", CaseFileStatus), name="status"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("department.id"), index=True)
    file_plan_node_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("file_plan_node.id"), index=True
    )
    status: Mapped[str] = enum_column(CaseFileStatus, default=CaseFileStatus.OPEN.value)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = created_at()
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("principal.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("principal.id"))
    retain_until: Mapped[dt.date | None] = mapped_column(Date)
    # Bumped by SQLAlchemy on every UPDATE: the source of the ETag.
    version: Mapped[int] = mapped_column(Integer)

    department: Mapped[Department] = relationship(lazy="joined")
    file_plan_node: Mapped[FilePlanNode] = relationship(lazy="joined")
    created_by: Mapped[Principal | None] = relationship(foreign_keys=[created_by_id])
    closed_by: Mapped[Principal | None] = relationship(foreign_keys=[closed_by_id])

    __mapper_args__ = {"version_id_col": version}


class Process(Base):
    """A Vorgang: one business transaction inside a case file."""

    __tablename__ = "process"

    id: Mapped[uuid.UUID] = uuid_pk()
    case_file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    created_at: Mapped[dt.datetime] = created_at()
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("principal.id"))

    created_by: Mapped[Principal | None] = relationship()


class Grant(Base):
    """Opens one case file to another department or a named principal, maybe until a date."""

    __tablename__ = "grant"
    __table_args__ = (
        CheckConstraint(one_of("permission", GrantPermission), name="permission"),
        CheckConstraint("(department_id IS NULL) <> (principal_id IS NULL)", name="one_grantee"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    case_file_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("case_file.id", ondelete="CASCADE"), index=True
    )
    department_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("department.id"))
    principal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("principal.id"))
    permission: Mapped[str] = enum_column(GrantPermission)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = created_at()
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("principal.id"))

    department: Mapped[Department | None] = relationship(lazy="joined")
    principal: Mapped[Principal | None] = relationship(foreign_keys=[principal_id], lazy="joined")
