"""Closed vocabularies shared by models, rules, schemas and the CLI."""

from __future__ import annotations

import enum


class DepartmentRole(enum.StrEnum):
    READER = "reader"
    CLERK = "clerk"
    LEAD = "lead"


class GlobalRole(enum.StrEnum):
    RECORDS_MANAGER = "records_manager"
    AUDITOR = "auditor"
    ADMIN = "admin"


class PrincipalKind(enum.StrEnum):
    USER = "user"
    SERVICE = "service"


class Disposition(enum.StrEnum):
    ARCHIVE = "archive"
    DESTROY = "destroy"


class CaseFileStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class GrantPermission(enum.StrEnum):
    READ = "read"
    WRITE = "write"


class Outcome(enum.StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"
    FAILED = "failed"


def values(enum_type: type[enum.StrEnum]) -> list[str]:
    return [member.value for member in enum_type]


class ExtractionStatus(enum.StrEnum):
    """How far text extraction got for a version (the document is stored either way)."""

    PENDING = "pending"
    EXTRACTED = "extracted"
    EMPTY = "empty"
    UNSUPPORTED = "unsupported"
    TOO_LARGE = "too_large"
    FAILED = "failed"


class OutboxKind(enum.StrEnum):
    """What changed: one document (text and all), or a case file's metadata and access."""

    DOCUMENT = "document"
    CASE_FILE = "case_file"
