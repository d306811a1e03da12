"""Sign-in and sign-out; the start page leads each role to its first page."""

from __future__ import annotations

from flask import current_app, g, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from eakte.errors import AuthenticationError
from eakte.services import throttling, web_sessions
from eakte.web import session
from eakte.web.blueprint import blp, start_page
from eakte.web.session import ctx, signed_in


@blp.get("/")
@signed_in
def home() -> Response:
    """The start page by role: a clerk her files, the Registratur Aufbewahrung, ..."""
    return redirect(url_for(start_page(session.actor())))


@blp.route("/anmelden", methods=["GET", "POST"])
def sign_in() -> Response | str:
    target = session.safe_next(request.values.get("weiter"), url_for("web.home"))
    if g.get("web_session") is not None:
        return redirect(_landing(target))
    error = None
    username = request.form.get("benutzername", "").strip()
    if request.method == "POST":
        # Per address, on top of the per-account lockout: a machine that keeps failing
        # is answered 429 (German page). The right password always gets through: many
        # people sign in from one town-hall address, and one of them mistyping must not
        # lock out the others.
        failures = current_app.extensions["eakte.throttles"].sign_in_failures
        try:
            started = web_sessions.sign_in(ctx(), username, request.form.get("passwort", ""))
        except AuthenticationError:
            throttling.refuse_failure(ctx(), failures, "auth.sign_in")
            error = (
                "Benutzername oder Passwort ist falsch, oder das Konto ist vorübergehend gesperrt."
            )
        else:
            response = redirect(_landing(target))
            session.set_session_cookie(response, started.token)
            return response
    page = render_template("anmelden.html", error=error, username=username, weiter=target)
    return make_response(page, 401 if error else 200)


def _landing(target: str) -> str:
    """Where a signed-in user goes: `weiter`, else straight to the role's start page."""
    principal = ctx().actor
    if target == url_for("web.home") and principal is not None:
        return url_for(start_page(principal))
    return target


@blp.post("/abmelden")
def sign_out() -> Response:
    web_sessions.sign_out(ctx(), request.cookies.get(session.COOKIE))
    response = redirect(url_for("web.sign_in"))
    session.clear_session_cookie(response)
    return response
