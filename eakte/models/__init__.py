"""ORM entities (one module per aggregate) and the pure rules beside them."""

from eakte.models.audit import AuditCheckpoint, AuditEvent, AuditNode
from eakte.models.documents import Document, DocumentVersion
from eakte.models.idempotency import IdempotencyRecord
from eakte.models.organisation import (
    ApiToken,
    Department,
    Membership,
    Principal,
    PrincipalRole,
    WebSession,
)
from eakte.models.records import CaseFile, FilePlanNode, Grant, Process, ReferenceCounter
from eakte.models.retention import (
    DispositionItem,
    DispositionProposal,
    LegalHold,
    ProposalApproval,
    Tombstone,
)
from eakte.models.search import SearchOutbox, SearchState
from eakte.models.workflow import Deputy, Notice, Routing, RoutingStep, Task

__all__ = [
    "Deputy",
    "Notice",
    "Routing",
    "RoutingStep",
    "Task",
    "ApiToken",
    "AuditCheckpoint",
    "AuditEvent",
    "AuditNode",
    "CaseFile",
    "Department",
    "DispositionItem",
    "DispositionProposal",
    "Document",
    "DocumentVersion",
    "FilePlanNode",
    "Grant",
    "IdempotencyRecord",
    "LegalHold",
    "Membership",
    "Principal",
    "PrincipalRole",
    "Process",
    "ProposalApproval",
    "ReferenceCounter",
    "SearchOutbox",
    "SearchState",
    "Tombstone",
    "WebSession",
]
