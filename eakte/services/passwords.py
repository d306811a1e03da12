"""Passwords for the web sign-in: argon2id hashes, a policy, and a lockout after failures.

Only users sign in to the web client; service accounts use API tokens. The
password itself is never stored, logged or audited — only that it was set.
"""

from __future__ import annotations

import datetime as dt
import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete

from eakte.db import rows_affected
from eakte.errors import AuthenticationError, InvalidInputError, Reason
from eakte.models import Principal, WebSession
from eakte.models.vocabulary import GlobalRole, Outcome, PrincipalKind
from eakte.services import access, audit, tokens
from eakte.services.context import Context
from eakte.services.principals import find_principal, refuse_own, require_principal

MIN_LENGTH = 12
MAX_LENGTH = 256
FAILURES_BEFORE_LOCK = 5
LOCK = dt.timedelta(minutes=15)
# argon2id with the library's RFC 9106 "low memory" profile: 64 MiB, 3 passes.
HASHER = PasswordHasher()
# Verified when the username is unknown, so that both answers take as long.


@functools.cache
def _dummy_hash() -> str:
    """Checked against for unknown users, so they take as long as known ones.

    Made on first use, not at import: hashing costs a second of CPU, and every
    `eakte` command imports this module.
    """
    return HASHER.hash("eakte: no such user")


def check_policy(username: str, password: str) -> None:
    problems: dict[Reason, str] = {}
    if len(password) < MIN_LENGTH:
        problems[Reason.TOO_SHORT] = f"at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        problems[Reason.TOO_LONG] = f"at most {MAX_LENGTH} characters"
    if username.lower() in password.lower():
        problems[Reason.CONTAINS_USERNAME] = "must not contain the username"
    if problems:
        raise InvalidInputError(
            "the password does not meet the policy: " + ", ".join(problems.values()),
            errors={"password": list(problems.values())},
            reasons=list(problems),
        )


def set_password(ctx: Context, username: str, password: str) -> None:
    """An admin (or the operator's CLI) sets a user's password.

    An admin's password is temporary: the user must choose a new one at the next
    sign-in before anything else works, and the user's API tokens end with it, so
    that whoever knows the temporary password cannot act through them. The
    operator's CLI (the bootstrap path) sets a lasting one. Either way a lockout
    ends and so does every web session of the user: whoever signed in with the
    old password (perhaps the reason for the change) must sign in again.
    """
    action = "principal.password_set"
    access.require_global_role(
        ctx, GlobalRole.ADMIN, action, object_type="principal", object_id=username
    )
    principal = require_principal(ctx, username, action)
    refuse_own(ctx, principal, action, "password this way; change it with the current one")
    _require_user(principal)
    check_policy(username, password)
    temporary = ctx.system is None
    _store(ctx, principal, password, temporary=temporary)
    sessions = end_web_sessions(ctx, principal)
    revoked = tokens.revoke_all_tokens(ctx, principal) if temporary else 0
    audit.record(
        ctx,
        action,
        object_type="principal",
        object_id=username,
        details={"temporary": temporary, "sessions_ended": sessions, "tokens_revoked": revoked},
    )
    ctx.commit()


def change_own_password(
    ctx: Context, current: str, new: str, *, keep_session: str | None = None
) -> None:
    """The signed-in user replaces their password, proving the current one.

    Ends the user's other web sessions (`keep_session` is the hash of the one in use).
    """
    action = "principal.password_change"
    access.require_authenticated(ctx, action)
    principal = ctx.actor
    if principal is None:
        raise AuthenticationError("sign in first")
    _require_user(principal)
    if principal.password_hash is None or not _matches(principal.password_hash, current):
        raise audit.deny(
            ctx,
            action,
            InvalidInputError(
                "the current password is not right",
                errors={"current_password": ["not the current password"]},
            ),
            object_type="principal",
            object_id=principal.username,
        )
    if new == current:
        raise InvalidInputError(
            "the new password must differ from the current one",
            errors={"password": ["must differ from the current password"]},
        )
    check_policy(principal.username, new)
    _store(ctx, principal, new, temporary=False)
    sessions = end_web_sessions(ctx, principal, keep=keep_session)
    audit.record(
        ctx,
        action,
        object_type="principal",
        object_id=principal.username,
        details={"sessions_ended": sessions},
    )
    ctx.commit()


def _require_user(principal: Principal) -> None:
    if principal.kind != PrincipalKind.USER:
        raise InvalidInputError(
            "service accounts sign in with API tokens, not passwords",
            errors={"password": ["service accounts have no password"]},
            reasons=[Reason.SERVICE_ACCOUNT_SIGN_IN],
        )


def _store(ctx: Context, principal: Principal, password: str, *, temporary: bool) -> None:
    principal.password_hash = HASHER.hash(password)
    principal.password_temporary = temporary
    principal.password_set_at = ctx.now()
    principal.password_set_by = ctx.actor_name
    principal.failed_sign_ins = 0
    principal.locked_until = None


def end_web_sessions(ctx: Context, principal: Principal, *, keep: str | None = None) -> int:
    """End the principal's web sessions (all but `keep`, a session hash); returns how many."""
    condition = WebSession.principal_id == principal.id
    if keep is not None:
        condition = condition & (WebSession.token_hash != keep)
    return rows_affected(ctx.session.execute(delete(WebSession).where(condition)))


def verify(ctx: Context, username: str, password: str) -> Principal:
    """The user if the password is right; else a denial (audited) and AuthenticationError.

    The answer never says whether the username exists or is locked: every path runs
    exactly one argon2 verification, so all take as long. After five failures in a
    row the account is locked for 15 minutes, right password or not.
    """
    action = "auth.sign_in"
    principal = find_principal(ctx, username)
    now = ctx.now()
    if (
        principal is None
        or not principal.active
        or principal.kind != PrincipalKind.USER
        or principal.password_hash is None
    ):
        _matches(_dummy_hash(), password)
        raise _refused(ctx, action, username, "unknown user or no password")
    if principal.locked_until is not None and principal.locked_until > now:
        _matches(principal.password_hash, password)  # the time an unlocked account takes
        raise _refused(ctx, action, username, "locked after repeated failures")
    if not _matches(principal.password_hash, password):
        principal.failed_sign_ins += 1
        locked = principal.failed_sign_ins >= FAILURES_BEFORE_LOCK
        if locked:
            principal.locked_until = now + LOCK
            principal.failed_sign_ins = 0
        failures = principal.failed_sign_ins
        ctx.commit()  # the count survives the denial's rollback
        raise _refused(
            ctx,
            action,
            username,
            "locked after repeated failures" if locked else "wrong password",
            failures=failures,
        )
    if HASHER.check_needs_rehash(principal.password_hash):
        principal.password_hash = HASHER.hash(password)
    principal.failed_sign_ins = 0
    principal.locked_until = None
    return principal


def _matches(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _refused(ctx: Context, action: str, username: str, reason: str, **details: object) -> Exception:
    ctx.session.rollback()
    audit.record(
        ctx,
        action,
        object_type="principal",
        object_id=username[:64],
        outcome=Outcome.DENIED,
        details={"reason": reason, **details},
    )
    ctx.commit()
    return AuthenticationError("wrong username or password, or the account is locked")
