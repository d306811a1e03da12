"""The EakteError tree: what went wrong, in domain words, with a stable code.

No HTTP here: `eakte.api.problems` maps each class to a status once, and
`eakte.web.error_pages` to a German page. A `Reason` says which rule was broken, for
clients that explain it in their own words (`eakte.web.messages`); it is not part
of the API's problem body, whose English `detail` already says it.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any


class Reason(StrEnum):
    """Which rule a request broke, finer than the error's class and `code`."""

    EMPTY_FILE = "empty-file"
    FOREIGN_PROCESS = "foreign-process"  # the process belongs to another case file
    UNKNOWN_FILE_PLAN_CODE = "unknown-file-plan-code"
    UNKNOWN_DEPARTMENT = "unknown-department"
    UNKNOWN_PRINCIPAL = "unknown-principal"
    ONE_GRANTEE = "one-grantee"  # a grant names a department or a principal, not both
    CONFIDENTIAL_GRANT = "confidential-grant"  # confidential: principals only
    NOT_IN_FUTURE = "not-in-future"  # an end date that has already passed
    TOO_FAR_AHEAD = "too-far-ahead"  # a token's end beyond EAKTE_TOKEN_MAX_DAYS
    TOO_SHORT = "too-short"  # a password under the policy's minimum length
    TOO_LONG = "too-long"
    CONTAINS_USERNAME = "contains-username"
    SERVICE_ACCOUNT_SIGN_IN = "service-account-sign-in"  # by token only, never a password
    QUERY_EMPTY = "query-empty"
    QUERY_TOO_LONG = "query-too-long"
    QUOTE_NOT_CLOSED = "quote-not-closed"
    OR_MISPLACED = "or-misplaced"
    NO_WORD = "no-word"
    TOO_MANY_WORDS = "too-many-words"
    OWN_RIGHTS = "own-rights"  # nobody changes their own rights or account
    EXCLUSIVE_ROLES = "exclusive-roles"  # admin and records manager never together
    ISSUED_FOR_USER = "issued-for-user"  # a user's access token is theirs alone to mint
    ALREADY_APPROVED = "already-approved"  # four eyes: the same person approves only once
    DECIDING_APPROVAL = "deciding-approval"  # this approval would execute; not confirmed
    # Geschäftsgang
    EMPTY_STAGE = "empty-stage"
    FINAL_SIGN_NOT_LAST = "final-sign-not-last"  # final_sign only in the last stage
    FINAL_SIGN_NOT_LEAD = "final-sign-not-lead"  # only a lead of the owning department
    NOBODY_IN_ROLE = "nobody-in-role"  # a department role that no one holds
    ONE_ASSIGNEE = "one-assignee"  # a step names a principal, or a department and role
    NOT_IN_PAST = "not-in-past"  # a due date that has already passed
    WRONG_DECISION = "wrong-decision"  # e.g. `acknowledge` for a co-signature
    REASON_REQUIRED = "reason-required"  # a rejection says why
    OTHER_DEPARTMENT = "other-department"  # forward / deputy: same department only
    NOT_DEPUTY = "not-deputy"  # no active Vertretung for the task's assignee today


class EakteError(Exception):
    code = "error"

    def __init__(
        self,
        detail: str,
        *,
        errors: dict[str, Any] | None = None,
        reasons: Sequence[Reason] = (),
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.reasons = tuple(reasons)


class ConfigError(EakteError):
    """A setting is missing or malformed; start-up stops with one line naming it."""

    code = "config-invalid"

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


class AuthenticationError(EakteError):
    code = "unauthenticated"


class NotFoundError(EakteError):
    """The object does not exist, or the caller may not know that it does."""

    code = "not-found"


class AccessDeniedError(EakteError):
    code = "forbidden"


class SeparationOfDutiesError(AccessDeniedError):
    """One person may not do this alone: a change to their own rights, or a second role
    that together with the first would let them act alone (admin + records manager)."""

    code = "separation-of-duties"


class InvalidInputError(EakteError):
    """Input that passed the schema but breaks a domain rule (unknown code, bad cursor)."""

    code = "invalid-input"


class NotInHandoverError(InvalidInputError):
    """The archive names case files that were not part of the handover it confirms."""

    def __init__(self, references: Sequence[str]) -> None:
        super().__init__(
            f"not in this handover: {', '.join(references)}",
            errors={"not_imported": [f"not in this handover: {ref}" for ref in references]},
        )
        self.references = tuple(references)


class FormTokenError(EakteError):
    """A web form came without the CSRF token of the session (or of the sign-in page)."""

    code = "csrf-failed"


class ConflictError(EakteError):
    """The request clashes with the current state (duplicate code, closed case file)."""

    code = "conflict"


class CaseFileClosedError(ConflictError):
    code = "case-file-closed"


class DispositionPendingError(ConflictError):
    """The case file waits for its disposition (proposed, or with the archive)."""

    code = "disposition-pending"


class RoutingRunningError(ConflictError):
    """A routing of the case file's documents is running: no closing, no disposition."""

    code = "routing-running"


class DocumentFinalError(ConflictError):
    """The document was final-signed (schlussgezeichnet): it takes no further versions."""

    code = "document-final"


class TaskClosedError(ConflictError):
    """The task was decided already (or closed with its routing): no second decision."""

    code = "task-closed"


class GoneError(EakteError):
    """The content existed and was destroyed on purpose (crypto-shredded, disposed of)."""

    code = "gone"


class RangeNotSatisfiableError(EakteError):
    code = "range-not-satisfiable"

    def __init__(self, detail: str, *, size: int) -> None:
        super().__init__(detail)
        self.size = size


class TooManyRequestsError(EakteError):
    """Too many failed attempts (or requests) from one client address; try again later."""

    code = "too-many-requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class PayloadTooLargeError(EakteError):
    code = "payload-too-large"


class PreconditionFailedError(EakteError):
    code = "precondition-failed"


class PreconditionRequiredError(EakteError):
    code = "precondition-required"


class IdempotencyConflictError(EakteError):
    code = "idempotency-key-conflict"


class IntegrityFailureError(EakteError):
    """Stored content fails authentication: altered, truncated, swapped or wrongly keyed."""

    code = "integrity-failure"


class DependencyUnavailableError(EakteError):
    """A backing service (database, object store, search) cannot be reached right now."""

    code = "dependency-unavailable"

    def __init__(self, detail: str, *, retry_after: int = 5) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class SearchQueryError(InvalidInputError):
    """A search text that cannot be run; the message says why in plain words."""

    code = "invalid-query"


class SearchUnavailableError(DependencyUnavailableError):
    code = "search-unavailable"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, retry_after=10)


class StorageError(EakteError):
    """The object store failed in a way that retrying will not fix (disk full, bad bucket)."""

    code = "storage-error"


class StorageFullError(StorageError):
    """The object store has no room left (disk full, quota reached); nothing was stored."""

    code = "storage-full"


class BlobNotFoundError(StorageError):
    code = "blob-not-found"


class StorageUnavailableError(DependencyUnavailableError):
    """The object store cannot be reached right now."""

    def __init__(self, detail: str = "the object store cannot be reached right now") -> None:
        super().__init__(detail, retry_after=10)
