"""First start of an instance: the administrator account."""

from __future__ import annotations

from eakte.models.vocabulary import GlobalRole, PrincipalKind
from eakte.services import principals, tokens
from eakte.services.context import Context

ADMIN_USERNAME = "admin"


def create_first_admin(system: Context) -> str | None:
    """Create `admin` with the admin role and return its token; None if it exists."""
    if principals.find_principal(system, ADMIN_USERNAME) is not None:
        return None
    principals.create_principal(
        system, username=ADMIN_USERNAME, display_name="Administrator", kind=PrincipalKind.USER
    )
    principals.grant_role(system, ADMIN_USERNAME, GlobalRole.ADMIN)
    token, _ = tokens.create_token(system, ADMIN_USERNAME)
    return token
