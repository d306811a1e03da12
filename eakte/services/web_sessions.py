"""Browser sessions of the web client: created at sign-in, ended by sign-out or timeout.

The cookie holds a random token; the database holds only its hash, the user
and a CSRF token for the forms. A session ends after 30 minutes without a
request or 10 hours after sign-in, whichever comes first. Any sign-in method
(password now; OIDC as another adapter) ends in `start`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import delete

from eakte.models import Principal, WebSession
from eakte.services import audit, passwords
from eakte.services.context import Context

IDLE = dt.timedelta(minutes=30)
ABSOLUTE = dt.timedelta(hours=10)
# `last_seen_at` is written at most this often: not one write per page view.
TOUCH_EVERY = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Started:
    token: str  # for the cookie; never stored
    csrf_token: str


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(ctx: Context, username: str, password: str) -> Started:
    principal = passwords.verify(ctx, username, password)
    return start(ctx, principal, method="password")


def start(ctx: Context, principal: Principal, *, method: str) -> Started:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = ctx.now()
    ctx.session.add(
        WebSession(
            token_hash=token_hash(token),
            principal_id=principal.id,
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
        )
    )
    ctx.actor = principal
    audit.record(
        ctx,
        "auth.sign_in",
        object_type="principal",
        object_id=principal.username,
        details={"method": method},
    )
    ctx.commit()
    return Started(token, csrf)


def resume(ctx: Context, token: str | None) -> WebSession | None:
    """The live session of this cookie, or None (unknown, timed out, user deactivated)."""
    if not token:
        return None
    row = ctx.session.get(WebSession, token_hash(token))
    if row is None:
        return None
    now = ctx.now()
    if now - row.last_seen_at > IDLE or now - row.created_at > ABSOLUTE or not row.principal.active:
        ctx.session.delete(row)
        ctx.commit()
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
        ctx.commit()
    return row


def csrf_ok(web_session: WebSession, submitted: str | None) -> bool:
    return bool(submitted) and hmac.compare_digest(
        web_session.csrf_token.encode(), (submitted or "").encode()
    )


def sign_out(ctx: Context, token: str | None) -> None:
    if not token:
        return
    ctx.session.execute(delete(WebSession).where(WebSession.token_hash == token_hash(token)))
    audit.record(
        ctx,
        "auth.sign_out",
        object_type="principal",
        object_id=ctx.actor.username if ctx.actor else None,
    )
    ctx.commit()
