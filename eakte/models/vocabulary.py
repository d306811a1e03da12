"""Closed vocabularies shared by models, rules, schemas and the CLI."""

from __future__ import annotations

import enum

# Department and file plan codes ("32", "32.10") and usernames, as the API accepts them.
CODE_PATTERN = r"[0-9A-Za-z]+(\.[0-9A-Za-z]+)*"
USERNAME_PATTERN = r"[a-z0-9][a-z0-9._-]{1,63}"


class DepartmentRole(enum.StrEnum):
    READER = "reader"
    CLERK = "clerk"
    LEAD = "lead"


class GlobalRole(enum.StrEnum):
    RECORDS_MANAGER = "records_manager"
    AUDITOR = "auditor"
    ADMIN = "admin"


class ApprovalState(enum.StrEnum):
    """A membership or global role: in force, or waiting for a second person's approval."""

    ACTIVE = "active"
    PENDING = "pending"


class PrincipalKind(enum.StrEnum):
    USER = "user"
    SERVICE = "service"


class Disposition(enum.StrEnum):
    ARCHIVE = "archive"
    DESTROY = "destroy"


class CaseFileStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    DISPOSED = "disposed"  # destroyed or handed to the archive; only a tombstone is left


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


class ProposalStatus(enum.StrEnum):
    """A disposition proposal's way: approvals, then execution (archive waits for the archive)."""

    PENDING = "pending"
    REJECTED = "rejected"
    EXECUTING = "executing"
    AWAITING_ARCHIVE = "awaiting_archive"
    COMPLETED = "completed"


class ItemState(enum.StrEnum):
    """One case file inside a proposal."""

    PROPOSED = "proposed"
    SKIPPED = "skipped"  # kept after all: a hold, a reopening or a later date (see note)
    REJECTED = "rejected"  # the proposal was rejected: kept, not proposed again for this date
    EXPORTED = "exported"  # handed to the archive, destroyed once it confirms
    DESTROYED = "destroyed"


class StepAction(enum.StrEnum):
    """What a routing step asks of its assignee (Mitzeichnung, Schlusszeichnung, …)."""

    CO_SIGN = "co_sign"
    FINAL_SIGN = "final_sign"
    INFORM = "inform"  # zur Kenntnis
    PROCESS = "process"  # zur Bearbeitung


class RoutingState(enum.StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # a new version of the document was stored meanwhile
    CANCELLED = "cancelled"


class StepState(enum.StrEnum):
    WAITING = "waiting"  # its stage has not been reached
    OPEN = "open"  # a task waits in someone's inbox
    DECIDED = "decided"
    CLOSED = "closed"  # the routing ended before this step was decided


class Decision(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    ACKNOWLEDGE = "acknowledge"
    DONE = "done"


# The decisions each step action takes; tasks outside a routing are done with `done`.
DECISIONS_OF = {
    StepAction.CO_SIGN: (Decision.APPROVE, Decision.REJECT),
    StepAction.FINAL_SIGN: (Decision.APPROVE, Decision.REJECT),
    StepAction.INFORM: (Decision.ACKNOWLEDGE,),
    StepAction.PROCESS: (Decision.DONE,),
}


class TaskKind(enum.StrEnum):
    """An inbox item: a routing step's action, or work that comes back by itself."""

    CO_SIGN = "co_sign"
    FINAL_SIGN = "final_sign"
    INFORM = "inform"
    PROCESS = "process"
    REVISE = "revise"  # the starter's draft came back: rejected or superseded
    RESUBMISSION = "resubmission"  # Wiedervorlage


class TaskState(enum.StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"  # closed without a decision: routing ended, resubmission deleted


class NotifyMode(enum.StrEnum):
    """How a person hears of new tasks by e-mail."""

    IMMEDIATE = "immediate"
    DIGEST = "digest"
    OFF = "off"


class NoticeKind(enum.StrEnum):
    TASK_NEW = "task_new"
    TASK_OVERDUE = "task_overdue"
    ROUTING_COMPLETED = "routing_completed"
    ROUTING_REJECTED = "routing_rejected"
    ROUTING_SUPERSEDED = "routing_superseded"
    DIGEST = "digest"  # a day's new tasks in one mail


class NoticeState(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the retries
    DROPPED = "dropped"  # nobody to send it to (no address, notify off, no SMTP)
