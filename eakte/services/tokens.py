"""API tokens: random, shown once, stored only as SHA-256, expiring and revocable."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import uuid

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from eakte.db import rows_affected
from eakte.errors import (
    AuthenticationError,
    InvalidInputError,
    Reason,
    SeparationOfDutiesError,
)
from eakte.models import ApiToken, Principal
from eakte.models.vocabulary import GlobalRole, PrincipalKind
from eakte.services import access, audit
from eakte.services.context import Context
from eakte.services.principals import require_principal

TOKEN_PREFIX = "eakte_"  # noqa: S105 (a prefix, not a secret)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(ctx: Context, token: str) -> Principal:
    """Resolve a bearer token to its principal, or write a denial and raise.

    The database compares SHA-256 digests, not tokens, and its index lookup is
    no timing oracle: a caller who learns how many leading characters of the
    digest matched a stored one learns nothing about a token, because making a
    digest start with chosen characters needs a preimage of SHA-256; and the
    tokens are 256-bit random, out of reach of guessing anyway. The constant-time
    comparison after the lookup is defence in depth: only an exact digest match
    authenticates, whatever collation, truncation or padding the database applies.
    """
    presented = _hash(token)
    # One statement for the token, its principal and the principal's roles and
    # memberships (every request needs them), instead of one lazy load each.
    principal = joinedload(ApiToken.principal)
    row = (
        ctx.session.scalars(
            select(ApiToken)
            .options(principal.joinedload(Principal.roles))
            .options(principal.joinedload(Principal.memberships))
            .where(ApiToken.token_hash == presented)
        )
        .unique()
        .one_or_none()
    )
    if row is not None and not hmac.compare_digest(row.token_hash.encode(), presented.encode()):
        row = None
    now = ctx.now()
    problem = None
    if row is None:
        problem = "token is not valid"
    elif row.revoked_at is not None:
        problem = "token has been revoked"
    elif row.expires_at is not None and row.expires_at <= now:
        problem = "token has expired"
    elif not row.principal.active:
        problem = "principal is deactivated"
    if problem is not None or row is None:
        raise audit.deny(
            ctx,
            "auth.token",
            AuthenticationError(problem or "token is not valid"),
            object_type="principal",
            object_id=row.principal.username if row is not None else None,
        )
    ctx.token_issuer = row.issued_by
    # Coarse last-use stamp: saves a write on most requests.
    if row.last_used_at is None or now - row.last_used_at > dt.timedelta(minutes=5):
        row.last_used_at = now
        ctx.commit()
    return row.principal


def create_token(
    ctx: Context,
    username: str,
    *,
    expires_at: dt.datetime | None = None,
    never_expires: bool = False,
) -> tuple[str, ApiToken]:
    """Mint a token for `username`; the plain token is returned once and never stored.

    Whoever holds a user's token acts as that user, so only the user (and the
    operator's CLI) mints one; an admin mints tokens for service accounts and for
    itself. A lifetime beyond `token_max_days`, or none, only for service accounts,
    given by an admin or the operator.
    """
    action = "token.create"
    access.require_self_or_role(ctx, username, GlobalRole.ADMIN, action, object_type="principal")
    principal = require_principal(ctx, username, action)
    issued_for_self = ctx.actor is not None and ctx.actor.id == principal.id
    if not (ctx.system or issued_for_self or principal.kind == PrincipalKind.SERVICE):
        raise audit.deny(
            ctx,
            action,
            SeparationOfDutiesError(
                "admins mint tokens only for service accounts and for themselves:"
                " a user's token would let its holder act as that user",
                reasons=[Reason.ISSUED_FOR_USER],
            ),
            object_type="principal",
            object_id=username,
        )
    now = ctx.now()
    settings = ctx.ports.settings
    if expires_at is not None and expires_at <= now:
        raise InvalidInputError(
            "expires_at must lie in the future",
            errors={"expires_at": ["must lie in the future"]},
            reasons=[Reason.NOT_IN_FUTURE],
        )
    may_outlive_cap = principal.kind == PrincipalKind.SERVICE and not issued_for_self
    cap = now + dt.timedelta(days=settings.token_max_days)
    if never_expires and not may_outlive_cap:
        raise InvalidInputError(
            "only service accounts get tokens without expiry, from an admin or the operator",
            errors={"expires_at": ["a token for this principal must expire"]},
        )
    if expires_at is not None and expires_at > cap and not may_outlive_cap:
        limit = f"at most {settings.token_max_days} days from now"
        raise InvalidInputError(
            f"expires_at lies too far ahead: {limit} (EAKTE_TOKEN_MAX_DAYS)",
            errors={"expires_at": [limit]},
            reasons=[Reason.TOO_FAR_AHEAD],
        )
    if expires_at is None and not never_expires:
        expires_at = now + dt.timedelta(days=min(settings.token_ttl_days, settings.token_max_days))
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        principal_id=principal.id,
        token_hash=_hash(token),
        expires_at=expires_at,
        issued_by=ctx.actor_name,
    )
    ctx.session.add(row)
    ctx.session.flush()
    audit.record(
        ctx,
        action,
        object_type="principal",
        object_id=username,
        details={
            "token_id": str(row.id),
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    ctx.commit()
    return token, row


def revoke_all_tokens(ctx: Context, principal: Principal) -> int:
    """End every live token of `principal` (in the caller's transaction); returns how many."""
    return rows_affected(
        ctx.session.execute(
            update(ApiToken)
            .where(ApiToken.principal_id == principal.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=ctx.now())
        )
    )


def list_tokens(ctx: Context, username: str) -> list[ApiToken]:
    action = "token.list"
    access.require_self_or_role(ctx, username, GlobalRole.ADMIN, action, object_type="principal")
    principal = require_principal(ctx, username, action)
    rows = list(
        ctx.session.scalars(
            select(ApiToken)
            .where(ApiToken.principal_id == principal.id)
            .order_by(ApiToken.created_at)
        )
    )
    audit.record(ctx, action, object_type="principal", object_id=username)
    ctx.commit()
    return rows


def revoke_token(ctx: Context, username: str, token_id: uuid.UUID) -> None:
    action = "token.revoke"
    access.require_self_or_role(ctx, username, GlobalRole.ADMIN, action, object_type="principal")
    principal = require_principal(ctx, username, action)
    row = ctx.session.get(ApiToken, token_id)
    if row is None or row.principal_id != principal.id:
        raise audit.not_found(
            ctx,
            action,
            f"token {token_id} not found",
            object_type="api_token",
            object_id=token_id,
        )
    if row.revoked_at is None:
        row.revoked_at = ctx.now()
    audit.record(
        ctx, action, object_type="api_token", object_id=token_id, details={"principal": username}
    )
    ctx.commit()
