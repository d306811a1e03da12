"""Deactivating a principal: every way in ends at once, the history stays.

A deactivated principal's tokens are revoked (reactivation does not bring them
back), its web sessions end and sign-in is refused; its memberships, roles and
audit events are kept, so a reactivation restores the same rights.
"""

from __future__ import annotations

from eakte.models import Principal
from eakte.models.vocabulary import GlobalRole
from eakte.services import access, audit, passwords, tokens
from eakte.services.context import Context
from eakte.services.principals import principal_or_deny, refuse_own


def _someone_elses_account(ctx: Context, username: str, action: str) -> Principal:
    """Admins (and the operator) change accounts, never their own."""
    access.require_global_role(
        ctx, GlobalRole.ADMIN, action, object_type="principal", object_id=username
    )
    principal = principal_or_deny(ctx, username, action)
    refuse_own(ctx, principal, action, "account")
    return principal


def deactivate_principal(ctx: Context, username: str) -> None:
    action = "principal.deactivate"
    principal = _someone_elses_account(ctx, username, action)
    principal.active = False
    revoked = tokens.revoke_all_tokens(ctx, principal)
    ended = passwords.end_web_sessions(ctx, principal)
    audit.record(
        ctx,
        action,
        object_type="principal",
        object_id=username,
        details={"tokens_revoked": revoked, "sessions_ended": ended},
    )
    ctx.commit()


def reactivate_principal(ctx: Context, username: str) -> None:
    action = "principal.reactivate"
    principal = _someone_elses_account(ctx, username, action)
    principal.active = True
    audit.record(ctx, action, object_type="principal", object_id=username)
    ctx.commit()
