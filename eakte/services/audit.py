"""Appending audit events: in the action's own transaction, or alone for a denial."""

from __future__ import annotations

from typing import Any

from eakte.errors import EakteError, NotFoundError
from eakte.models import AuditEvent
from eakte.models.vocabulary import Outcome
from eakte.services.context import Context


def record(
    ctx: Context,
    action: str,
    *,
    object_type: str | None = None,
    object_id: object = None,
    department: str | None = None,
    outcome: Outcome = Outcome.ALLOWED,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add the event to the current transaction: it commits or rolls back with the action.

    A call made with a token someone else minted names that issuer too.
    """
    if ctx.token_issuer is not None and ctx.token_issuer != ctx.actor_name:
        details = {**(details or {}), "token_issued_by": ctx.token_issuer}
    event = AuditEvent(
        occurred_at=ctx.now(),
        actor=ctx.actor_name,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        department=department,
        outcome=outcome.value,
        request_id=ctx.request_id,
        client_address=ctx.client_address,
        client_address_hash=ctx.ports.address_hasher(ctx.client_address),
        details=details or None,
    )
    ctx.session.add(event)
    return event


def deny(
    ctx: Context,
    action: str,
    error: EakteError,
    *,
    object_type: str | None = None,
    object_id: object = None,
    department: str | None = None,
) -> EakteError:
    """Throw away the pending work, commit a `denied` event, and hand back the error to raise."""
    ctx.session.rollback()
    record(
        ctx,
        action,
        object_type=object_type,
        object_id=object_id,
        department=department,
        outcome=Outcome.DENIED,
        details={"reason": error.code},
    )
    ctx.commit()
    return error


def not_found(
    ctx: Context,
    action: str,
    detail: str,
    *,
    object_type: str,
    object_id: object,
    department: str | None = None,
) -> NotFoundError:
    """`deny` for what does not exist (or may not be seen): the NotFoundError to raise."""
    error = NotFoundError(detail)
    deny(
        ctx,
        action,
        error,
        object_type=object_type,
        object_id=object_id,
        department=department,
    )
    return error


def record_in_case_file(
    ctx: Context,
    action: str,
    case_file: Any,
    *,
    object_type: str = "case_file",
    object_id: object = None,
    **details: Any,
) -> AuditEvent:
    """An event about a case file or something inside it, filed under its department."""
    context = {"reference": case_file.reference}
    if object_type != "case_file":
        context["case_file"] = str(case_file.id)
    return record(
        ctx,
        action,
        object_type=object_type,
        object_id=case_file.id if object_id is None else object_id,
        department=case_file.department.code,
        details={**context, **details},
    )
