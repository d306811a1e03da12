"""The Geschäftsgang: routings of a document version, their steps, the inbox's tasks,
deputies (Vertretung) and the e-mail notices' outbox."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eakte.db import Base, UTCDateTime
from eakte.models._columns import created_at, enum_column, one_of, uuid_pk
from eakte.models.documents import Document
from eakte.models.organisation import Department, Principal
from eakte.models.records import CaseFile
from eakte.models.vocabulary import (
    Decision,
    DepartmentRole,
    NoticeKind,
    NoticeState,
    RoutingState,
    StepAction,
    StepState,
    TaskKind,
    TaskState,
)

NOTE_MAX = 2000


class Routing(Base):
    """One document version sent through stages of steps (Umlauf)."""

    __tablename__ = "routing"
    __table_args__ = (CheckConstraint(one_of("state", RoutingState), name="state"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("document.id"), index=True)
    case_file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), index=True)
    # The version every decision refers to, and its SHA-256.
    version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = enum_column(RoutingState, default=RoutingState.RUNNING.value)
    current_stage: Mapped[int] = mapped_column(Integer, default=0)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(NOTE_MAX))
    started_at: Mapped[dt.datetime] = created_at()
    started_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("principal.id"))
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    ended_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("principal.id"))

    document: Mapped[Document] = relationship()
    case_file: Mapped[CaseFile] = relationship()
    started_by: Mapped[Principal | None] = relationship(foreign_keys=[started_by_id])
    ended_by: Mapped[Principal | None] = relationship(foreign_keys=[ended_by_id])
    steps: Mapped[list[RoutingStep]] = relationship(
        back_populates="routing",
        cascade="all, delete-orphan",
        order_by="(RoutingStep.stage, RoutingStep.position)",
        lazy="selectin",
    )


class RoutingStep(Base):
    """One step of a stage: who is asked (a principal, or a department role) and what
    they decided, on which version with which digest."""

    __tablename__ = "routing_step"
    __table_args__ = (
        UniqueConstraint("routing_id", "stage", "position"),
        CheckConstraint(one_of("action", StepAction), name="action"),
        CheckConstraint(one_of("state", StepState), name="state"),
        CheckConstraint("decision IS NULL OR " + one_of("decision", Decision), name="decision"),
        CheckConstraint("role IS NULL OR " + one_of("role", DepartmentRole), name="role"),
        CheckConstraint(
            "(assignee_id IS NULL) <> (department_id IS NULL AND role IS NULL)", name="assignee"
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    routing_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("routing.id", ondelete="CASCADE"), index=True
    )
    stage: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = enum_column(StepAction)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("principal.id"))
    department_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("department.id"))
    role: Mapped[str | None] = enum_column(DepartmentRole, nullable=True)
    state: Mapped[str] = enum_column(StepState, default=StepState.WAITING.value)
    decision: Mapped[str | None] = enum_column(Decision, nullable=True)
    comment: Mapped[str | None] = mapped_column(String(NOTE_MAX))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("principal.id"))
    # Set when a deputy decided for the absent assignee ("X für Y").
    on_behalf_of_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("principal.id"))
    version: Mapped[int | None] = mapped_column(Integer)
    digest: Mapped[str | None] = mapped_column(String(64))

    routing: Mapped[Routing] = relationship(back_populates="steps")
    assignee: Mapped[Principal | None] = relationship(foreign_keys=[assignee_id], lazy="joined")
    department: Mapped[Department | None] = relationship(lazy="joined")
    decided_by: Mapped[Principal | None] = relationship(foreign_keys=[decided_by_id])
    on_behalf_of: Mapped[Principal | None] = relationship(foreign_keys=[on_behalf_of_id])


class Task(Base):
    """An inbox item (Arbeitskorb): a reached routing step, a draft to revise, or a
    Wiedervorlage. It is in the inbox from `visible_from` on (a resubmission's date)."""

    __tablename__ = "task"
    __table_args__ = (
        CheckConstraint(one_of("kind", TaskKind), name="kind"),
        CheckConstraint(one_of("state", TaskState), name="state"),
        CheckConstraint("role IS NULL OR " + one_of("role", DepartmentRole), name="role"),
        CheckConstraint(
            "(assignee_id IS NULL) <> (department_id IS NULL AND role IS NULL)", name="assignee"
        ),
        Index("ix_task_inbox", "state", "assignee_id", "visible_from"),
        Index("ix_task_department_inbox", "state", "department_id", "visible_from"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    kind: Mapped[str] = enum_column(TaskKind)
    state: Mapped[str] = enum_column(TaskState, default=TaskState.OPEN.value)
    case_file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id"), index=True)
    document_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("document.id"), index=True)
    routing_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("routing.id", ondelete="CASCADE"), index=True
    )
    routing_step_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("routing_step.id", ondelete="CASCADE"), unique=True
    )
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("principal.id"))
    department_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("department.id"))
    role: Mapped[str | None] = enum_column(DepartmentRole, nullable=True)
    note: Mapped[str | None] = mapped_column(String(NOTE_MAX))
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    visible_from: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = created_at()
    # Who sent it: the routing's starter, the resubmission's creator.
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("principal.id"))
    forwarded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("principal.id"))
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("principal.id"))
    on_behalf_of_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("principal.id"))
    # The overdue notice went out (once per task).
    overdue_noticed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    case_file: Mapped[CaseFile] = relationship(lazy="joined")
    document: Mapped[Document | None] = relationship()
    routing: Mapped[Routing | None] = relationship()
    routing_step: Mapped[RoutingStep | None] = relationship()
    assignee: Mapped[Principal | None] = relationship(foreign_keys=[assignee_id], lazy="joined")
    department: Mapped[Department | None] = relationship(lazy="joined")
    created_by: Mapped[Principal | None] = relationship(foreign_keys=[created_by_id])
    forwarded_by: Mapped[Principal | None] = relationship(foreign_keys=[forwarded_by_id])
    closed_by: Mapped[Principal | None] = relationship(foreign_keys=[closed_by_id])
    on_behalf_of: Mapped[Principal | None] = relationship(foreign_keys=[on_behalf_of_id])


class Deputy(Base):
    """Vertretung: `deputy` acts on `principal`'s tasks from `valid_from` to `valid_until`
    (both days included, at the municipality)."""

    __tablename__ = "deputy"
    __table_args__ = (
        UniqueConstraint("principal_id", "deputy_id", "valid_from"),
        CheckConstraint("valid_from <= valid_until", name="period"),
        CheckConstraint("principal_id <> deputy_id", name="not_self"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    principal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("principal.id", ondelete="CASCADE"), index=True
    )
    deputy_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("principal.id", ondelete="CASCADE"), index=True
    )
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = created_at()
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("principal.id"))

    principal: Mapped[Principal] = relationship(foreign_keys=[principal_id])
    deputy: Mapped[Principal] = relationship(foreign_keys=[deputy_id], lazy="joined")


class Notice(Base):
    """An e-mail notice waiting for the worker (outbox). The row's id is the mail's
    Message-ID, so a retry after a crash is the same message, not a second one.

    It holds what a mail may carry: the kind, the Aktenzeichen, the task kind and ids
    for the link; never a title, a name or content.
    """

    __tablename__ = "notice"
    __table_args__ = (
        CheckConstraint(one_of("kind", NoticeKind), name="kind"),
        CheckConstraint(one_of("state", NoticeState), name="state"),
        Index("ix_notice_pending", "state", "available_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    principal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("principal.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = enum_column(NoticeKind)
    state: Mapped[str] = enum_column(NoticeState, default=NoticeState.PENDING.value)
    # For a person who reads a daily digest: the row waits to be folded into one mail.
    digest: Mapped[bool] = mapped_column(default=False)
    task_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("task.id", ondelete="CASCADE"), index=True
    )
    routing_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("routing.id", ondelete="CASCADE"), index=True
    )
    case_file_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("case_file.id", ondelete="CASCADE"), index=True
    )
    reference: Mapped[str | None] = mapped_column(String(64))
    task_kind: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = created_at()
    available_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # A digest is sent as the notice of its first row; the others name that row here.
    sent_with_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("notice.id"))

    principal: Mapped[Principal] = relationship(lazy="joined")
