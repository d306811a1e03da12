"""Deactivating a principal: every way in ends at once, the history stays.

A deactivated principal's tokens are revoked (reactivation does not bring them
back), its web sessions end and sign-in is refused; its memberships, roles and
audit events are kept, so a reactivation restores the same rights.
"""

from __future__ import annotations

from eakte.services import passwords, tokens
from eakte.services.context import Context
from eakte.services.principals import record_about_principal, require_other_principal


def deactivate_principal(ctx: Context, username: str) -> None:
    action = "principal.deactivate"
    principal = require_other_principal(ctx, username, action, "account")
    principal.active = False
    revoked = tokens.revoke_all_tokens(ctx, principal)
    ended = passwords.end_web_sessions(ctx, principal)
    record_about_principal(
        ctx, action, username, details={"tokens_revoked": revoked, "sessions_ended": ended}
    )
    ctx.commit()


def reactivate_principal(ctx: Context, username: str) -> None:
    action = "principal.reactivate"
    principal = require_other_principal(ctx, username, action, "account")
    principal.active = True
    record_about_principal(ctx, action, username)
    ctx.commit()
