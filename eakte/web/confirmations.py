"""Bestätigungen: what waits for the signed-in person's confirmation (no one alone).

A lead confirms memberships and promotions in the departments they lead; a
records manager approves another person's records_manager grant. The services
check who may confirm and audit each confirmation.
"""

from __future__ import annotations

from flask import render_template
from werkzeug.wrappers import Response

from eakte.models.vocabulary import GlobalRole
from eakte.services import principals
from eakte.web import notices
from eakte.web.admin import DEPARTMENT_ROLE_LABELS, GLOBAL_ROLE_LABELS
from eakte.web.blueprint import blp
from eakte.web.session import ctx, signed_in

notices.register(
    {
        "mitgliedschaft-bestaetigt": "Die Mitgliedschaft ist bestätigt und gilt ab sofort.",
        "rolle-bestaetigt": "Die Rolle ist bestätigt und gilt ab sofort.",
    }
)


@blp.get("/bestaetigungen")
@signed_in
def confirmations() -> str:
    return render_template(
        "bestaetigungen.html",
        memberships=principals.memberships_to_confirm(ctx()),
        grants=principals.roles_to_confirm(ctx()),
        department_roles=DEPARTMENT_ROLE_LABELS,
        global_roles=GLOBAL_ROLE_LABELS,
    )


@blp.post("/bestaetigungen/mitgliedschaften/<username>/<department>")
@signed_in
def confirm_membership(username: str, department: str) -> Response:
    principals.approve_membership(ctx(), username, department=department)
    return notices.redirect_with("mitgliedschaft-bestaetigt", "web.confirmations")


@blp.post("/bestaetigungen/rollen/<username>")
@signed_in
def confirm_role(username: str) -> Response:
    principals.approve_role(ctx(), username, GlobalRole.RECORDS_MANAGER)
    return notices.redirect_with("rolle-bestaetigt", "web.confirmations")
