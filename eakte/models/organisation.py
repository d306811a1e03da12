"""Departments (Organisationseinheiten), principals, memberships, roles and API tokens."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eakte.db import Base, UTCDateTime
from eakte.models._columns import created_at, enum_column, one_of, uuid_pk
from eakte.models.vocabulary import (
    ApprovalState,
    DepartmentRole,
    GlobalRole,
    NotifyMode,
    PrincipalKind,
)


class Department(Base):
    __tablename__ = "department"

    id: Mapped[uuid.UUID] = uuid_pk()
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("department.id"), index=True)
    created_at: Mapped[dt.datetime] = created_at()

    parent: Mapped[Department | None] = relationship(remote_side=[id])


class Principal(Base):
    __tablename__ = "principal"
    __table_args__ = (
        CheckConstraint(one_of("kind", PrincipalKind), name="kind"),
        CheckConstraint(one_of("notify", NotifyMode), name="notify"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = enum_column(PrincipalKind)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = created_at()
    # Web sign-in (users only): an argon2id hash, and the lockout after failures.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # A password someone else set (an admin) is temporary: the user must choose a new
    # one before anything else works, and is told who reset it and when.
    password_temporary: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=sa.false()
    )
    password_set_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    password_set_by: Mapped[str | None] = mapped_column(String(100))
    # E-mail notices of tasks (Geschäftsgang): where to, and how often.
    email: Mapped[str | None] = mapped_column(String(254))
    notify: Mapped[str] = enum_column(
        NotifyMode, default=NotifyMode.DIGEST.value, server_default=NotifyMode.DIGEST.value
    )

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="principal", cascade="all, delete-orphan", lazy="selectin"
    )
    roles: Mapped[list[PrincipalRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def global_roles(self) -> frozenset[str]:
        """The global roles in force (a pending records_manager grant is not)."""
        return frozenset(r.role for r in self.roles if r.state == ApprovalState.ACTIVE)

    @property
    def active_memberships(self) -> list[Membership]:
        """The memberships in force: a pending one opens nothing yet."""
        return [m for m in self.memberships if m.state == ApprovalState.ACTIVE]


class Membership(Base):
    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("principal_id", "department_id"),
        CheckConstraint(one_of("role", DepartmentRole), name="role"),
        CheckConstraint(one_of("state", ApprovalState), name="state"),
        CheckConstraint(
            "pending_role IS NULL OR " + one_of("pending_role", DepartmentRole), name="pending_role"
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    principal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("principal.id", ondelete="CASCADE"), index=True
    )
    department_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("department.id"), index=True)
    # `role` is in force when `state` is active; a pending membership waits for a lead
    # of the department. `pending_role` is a requested promotion of an active one.
    role: Mapped[str] = enum_column(DepartmentRole)
    state: Mapped[str] = enum_column(ApprovalState, server_default=ApprovalState.ACTIVE.value)
    pending_role: Mapped[str | None] = enum_column(DepartmentRole, nullable=True)
    requested_by: Mapped[str | None] = mapped_column(String(100))
    approved_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = created_at()

    principal: Mapped[Principal] = relationship(back_populates="memberships")
    department: Mapped[Department] = relationship(lazy="joined")


class PrincipalRole(Base):
    __tablename__ = "principal_role"
    __table_args__ = (
        UniqueConstraint("principal_id", "role"),
        CheckConstraint(one_of("role", GlobalRole), name="role"),
        CheckConstraint(one_of("state", ApprovalState), name="state"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    principal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("principal.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = enum_column(GlobalRole)
    state: Mapped[str] = enum_column(ApprovalState, server_default=ApprovalState.ACTIVE.value)
    requested_by: Mapped[str | None] = mapped_column(String(100))
    approved_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = created_at()


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored (tokens are 256-bit random)."""

    __tablename__ = "api_token"

    id: Mapped[uuid.UUID] = uuid_pk()
    principal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("principal.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Who minted it (a username, or `system:cli`): events done with a token someone
    # else issued name both.
    issued_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = created_at()
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    principal: Mapped[Principal] = relationship()


class WebSession(Base):
    """A signed-in browser. Only the token's hash is stored, as for API tokens."""

    __tablename__ = "web_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    principal_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("principal.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = created_at()
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    principal: Mapped[Principal] = relationship(lazy="joined")
