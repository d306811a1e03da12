"""Passwort ändern: users choose their own password; after an admin's reset they must.

A password an admin set is temporary (it ends the user's tokens): until the user
has chosen a new one, every page leads here (`session.signed_in`), and the page
says who reset it and when, so that a reset the user did not ask for is noticed.
"""

from __future__ import annotations

from flask import g, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from eakte.errors import InvalidInputError
from eakte.services import passwords
from eakte.web.blueprint import blp
from eakte.web.formatting import exact_time_text
from eakte.web.messages import UNCLEAR, explain
from eakte.web.session import COOKIE, ctx, session_hash, signed_in


@blp.route("/passwort", methods=["GET", "POST"])
@signed_in
def own_password() -> Response:
    errors: dict[str, str] = {}
    if request.method == "POST":
        current = request.form.get("aktuell") or ""
        new = request.form.get("neu") or ""
        if not current:
            errors["aktuell"] = "Bitte Ihr bisheriges Passwort eingeben."
        if not new:
            errors["neu"] = "Bitte ein neues Passwort eingeben."
        elif new != (request.form.get("wiederholung") or ""):
            errors["wiederholung"] = "Die beiden neuen Passwörter stimmen nicht überein."
        if not errors:
            try:
                passwords.change_own_password(
                    ctx(), current, new, keep_session=session_hash(request.cookies.get(COOKIE))
                )
            except InvalidInputError as error:
                ctx().session.rollback()
                fields = error.errors or {}
                if "current_password" in fields:
                    errors["aktuell"] = "Das bisherige Passwort stimmt nicht."
                else:
                    errors["neu"] = explain(error, UNCLEAR)
            else:
                return redirect(url_for("web.case_files"))
    principal = g.web_session.principal
    body = render_template(
        "passwort.html",
        errors=errors,
        temporary=principal.password_temporary,
        set_by=principal.password_set_by,
        set_at=exact_time_text(principal.password_set_at) if principal.password_set_at else None,
    )
    response = make_response(body, 422 if errors else 200)
    response.headers["Cache-Control"] = "no-store"
    return response
