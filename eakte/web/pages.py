"""The pages (German): sign-in and sign-out, and the clerk's list of case files."""

from __future__ import annotations

from flask import Blueprint, Response, g, make_response, redirect, render_template, request, url_for

from eakte.errors import AuthenticationError, EakteError
from eakte.models.vocabulary import CaseFileStatus
from eakte.services import case_files as case_file_service
from eakte.services import web_sessions
from eakte.web import session
from eakte.web.session import ctx, signed_in

blp = Blueprint(
    "web", __name__, template_folder="templates", static_folder="static", static_url_path="/static"
)
blp.before_request(session.begin)
blp.after_request(session.finish)
blp.register_error_handler(EakteError, session.error_page)


@blp.app_context_processor
def _page_globals() -> dict:
    return {"csrf_token": session.csrf_token, "CSRF_FIELD": session.CSRF_FIELD}


@blp.get("/")
def home() -> Response:
    return redirect(url_for("web.case_files"))


@blp.route("/anmelden", methods=["GET", "POST"])
def sign_in() -> Response | str:
    target = session.safe_next(request.values.get("weiter"))
    if g.get("web_session") is not None:
        return redirect(target)
    error = None
    username = request.form.get("benutzername", "").strip()
    if request.method == "POST":
        try:
            started = web_sessions.sign_in(ctx(), username, request.form.get("passwort", ""))
        except AuthenticationError:
            error = (
                "Benutzername oder Passwort ist falsch, oder das Konto ist vorübergehend gesperrt."
            )
        else:
            response = redirect(target)
            session.set_session_cookie(response, started.token)
            return response
    page = render_template("anmelden.html", error=error, username=username, weiter=target)
    return make_response(page, 401 if error else 200)


@blp.post("/abmelden")
def sign_out() -> Response:
    web_sessions.sign_out(ctx(), request.cookies.get(session.COOKIE))
    response = redirect(url_for("web.sign_in"))
    session.clear_session_cookie(response)
    return response


STATUS_LABELS = {CaseFileStatus.OPEN: "offen", CaseFileStatus.CLOSED: "zdA"}


@blp.get("/akten")
@signed_in
def case_files() -> str:
    """Meine Akten: the case files of the user's departments and grants."""
    status = request.args.get("status")
    chosen = CaseFileStatus(status) if status in STATUS_LABELS else None
    page = case_file_service.list_case_files(
        ctx(), status=chosen, limit=50, cursor=request.args.get("weiter") or None
    )
    return render_template("akten.html", page=page, status=status or "", labels=STATUS_LABELS)
