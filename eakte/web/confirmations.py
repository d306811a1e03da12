"""Bestätigungen: what waits for the signed-in person's confirmation (no one alone).

A lead confirms memberships and promotions in the departments they lead; a
records manager approves another person's records_manager grant. The services
check who may confirm and audit each confirmation.
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from eakte.models.vocabulary import GlobalRole
from eakte.services import principals
from eakte.web.admin import DEPARTMENT_ROLE_LABELS, GLOBAL_ROLE_LABELS
from eakte.web.blueprint import blp
from eakte.web.session import ctx, signed_in

NOTICES = {
    "mitgliedschaft": "Die Mitgliedschaft ist bestätigt und gilt ab sofort.",
    "rolle": "Die Rolle ist bestätigt und gilt ab sofort.",
}


@blp.get("/bestaetigungen")
@signed_in
def confirmations() -> str:
    return render_template(
        "bestaetigungen.html",
        memberships=principals.memberships_to_confirm(ctx()),
        grants=principals.roles_to_confirm(ctx()),
        department_roles=DEPARTMENT_ROLE_LABELS,
        global_roles=GLOBAL_ROLE_LABELS,
        notice=NOTICES.get(request.args.get("hinweis", "")),
    )


@blp.post("/bestaetigungen/mitgliedschaften/<username>/<department>")
@signed_in
def confirm_membership(username: str, department: str) -> Response:
    principals.approve_membership(ctx(), username, department=department)
    return redirect(url_for("web.confirmations", hinweis="mitgliedschaft"))


@blp.post("/bestaetigungen/rollen/<username>")
@signed_in
def confirm_role(username: str) -> Response:
    principals.approve_role(ctx(), username, GlobalRole.RECORDS_MANAGER)
    return redirect(url_for("web.confirmations", hinweis="rolle"))
