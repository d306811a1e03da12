"""Verwaltung (Administration): the overview of Ämter and Personen, and adding both.

Admins only: every read and change goes through the services, which check the
admin role and audit the action. Forms follow post/redirect/get; a rejected
form is shown again with German messages next to the fields. One person's page
(memberships, roles, password, access tokens) is `admin_person.py`.
"""

from __future__ import annotations

import re
import unicodedata

from flask import make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from eakte.errors import ConflictError, InvalidInputError
from eakte.models.vocabulary import (
    CODE_PATTERN,
    USERNAME_PATTERN,
    DepartmentRole,
    GlobalRole,
    PrincipalKind,
)
from eakte.services import departments, principals
from eakte.web import notices
from eakte.web.blueprint import blp
from eakte.web.messages import UNCLEAR
from eakte.web.session import ctx, signed_in

PEOPLE_PAGE = 100
ALL_DEPARTMENTS = 500  # the services' largest page: enough for a town's organisation chart

GLOBAL_ROLE_LABELS = {
    GlobalRole.RECORDS_MANAGER.value: "Schriftgutverwaltung (Aufbewahrung)",
    GlobalRole.AUDITOR.value: "Revision (Protokoll)",
    GlobalRole.ADMIN.value: "Administration (Verwaltung)",
}
DEPARTMENT_ROLE_LABELS = {
    DepartmentRole.READER.value: "Lesen",
    DepartmentRole.CLERK.value: "Sachbearbeitung",
    DepartmentRole.LEAD.value: "Leitung",
}
KIND_LABELS = {
    PrincipalKind.USER.value: "Benutzerkonto",
    PrincipalKind.SERVICE.value: "Dienstkonto",
}
# Confirmations after a redirect; only these fixed texts, never text from the URL.
NOTICES = {
    "amt": "Das Amt wurde angelegt.",
    "person": "Die Person wurde angelegt.",
    "passwort": (
        "Das vorläufige Passwort wurde gesetzt; eine Sperre nach Fehlversuchen ist aufgehoben. "
        "Die Person muss bei der nächsten Anmeldung ein eigenes wählen; ihre Zugangsschlüssel "
        "gelten nicht mehr."
    ),
    "mitgliedschaft": "Die Mitgliedschaft wurde gespeichert.",
    "mitgliedschaft-beantragt": (
        "Die Mitgliedschaft ist beantragt. Sie gilt, sobald eine Leitung des Amtes sie "
        "unter „Bestätigungen“ bestätigt."
    ),
    "rolle-beantragt": (
        "Die Rolle ist beantragt. Sie gilt, sobald eine andere Person der "
        "Schriftgutverwaltung sie bestätigt."
    ),
    "deaktiviert": "Das Konto ist deaktiviert: Anmeldungen, Sitzungen und Schlüssel enden sofort.",
    "reaktiviert": "Das Konto ist wieder aktiv. Alte Zugangsschlüssel bleiben widerrufen.",
    "mitgliedschaft-entfernt": "Die Mitgliedschaft wurde beendet.",
    "rolle": "Die Rolle wurde vergeben.",
    "rolle-entzogen": "Die Rolle wurde entzogen.",
    "widerrufen": "Der Zugangsschlüssel wurde widerrufen. Er gilt ab sofort nicht mehr.",
}
notices.register(NOTICES)
CODE = re.compile(f"^{CODE_PATTERN}$")
USERNAME = re.compile(f"^{USERNAME_PATTERN}$", re.ASCII)


def _text_problem(value: str, longest: int) -> str | None:
    if not value:
        return "Bitte ausfüllen."
    if len(value) > longest:
        return f"Höchstens {longest} Zeichen."
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        return "Bitte keine Steuerzeichen verwenden."
    return None


def code_problem(value: str) -> str | None:
    if len(value) > 32 or not CODE.match(value):
        return "Bitte ein Kürzel aus Ziffern oder Buchstaben, mit Punkten getrennt, z. B. 32.1."
    return None


def form_values(*names: str) -> dict[str, str]:
    return {name: (request.form.get(name) or "").strip() for name in names}


def answer(body: str, status: int) -> Response:
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- overview: Ämter and Personen ------------------------------------------------


@blp.get("/verwaltung")
@signed_in
def admin() -> Response:
    """Verwaltung: departments and people, with forms to add both."""
    return _overview()


def _overview(
    errors: dict[str, str] | None = None, values: dict[str, str] | None = None, status: int = 200
) -> Response:
    # The principal list needs the admin role: others are turned away here, by the service.
    people = principals.list_principals(
        ctx(), limit=PEOPLE_PAGE, cursor=request.args.get("weiter") or None
    )
    units = departments.list_departments(ctx(), limit=ALL_DEPARTMENTS, cursor=None)
    body = render_template(
        "verwaltung.html",
        people=people,
        units=units.items,
        more_units=units.next is not None,
        errors=errors or {},
        values=values or {},
        kinds=KIND_LABELS,
        global_roles=GLOBAL_ROLE_LABELS,
        department_roles=DEPARTMENT_ROLE_LABELS,
    )
    return answer(body, status)


@blp.post("/verwaltung/aemter")
@signed_in
def admin_create_department() -> Response:
    values = form_values("code", "name", "parent")
    errors = {}
    if problem := code_problem(values["code"]):
        errors["amt-code"] = problem
    if problem := _text_problem(values["name"], 200):
        errors["amt-name"] = problem
    if values["parent"] and (problem := code_problem(values["parent"])):
        errors["amt-parent"] = problem
    status = 422
    if not errors:
        try:
            departments.create_department(
                ctx(), code=values["code"], name=values["name"], parent=values["parent"] or None
            )
        except ConflictError:
            errors["amt-code"] = "Dieses Kürzel ist schon vergeben."
            status = 409
        except InvalidInputError as error:
            if "parent" in (error.errors or {}):
                errors["amt-parent"] = "Dieses übergeordnete Amt gibt es nicht."
            else:
                errors["amt"] = UNCLEAR
        else:
            return redirect(url_for("web.admin", meldung="amt", _anchor="aemter"))
    ctx().session.rollback()
    return _overview(errors, {f"amt-{k}": v for k, v in values.items()}, status)


@blp.post("/verwaltung/personen")
@signed_in
def admin_create_person() -> Response:
    values = form_values("username", "display_name", "kind")
    errors = {}
    if not USERNAME.match(values["username"]):
        errors["person-username"] = (
            "2 bis 64 Zeichen: Kleinbuchstaben ohne Umlaute, Ziffern, Punkt, _ oder -; "
            "am Anfang ein Buchstabe oder eine Ziffer."
        )
    if problem := _text_problem(values["display_name"], 200):
        errors["person-display_name"] = problem
    if values["kind"] not in KIND_LABELS:
        errors["person-kind"] = "Bitte wählen Sie die Art des Kontos."
    status = 422
    if not errors:
        try:
            principals.create_principal(
                ctx(),
                username=values["username"],
                display_name=values["display_name"],
                kind=PrincipalKind(values["kind"]),
            )
        except ConflictError:
            errors["person-username"] = "Diesen Benutzernamen gibt es schon."
            status = 409
        else:
            return redirect(
                url_for("web.admin_person", username=values["username"], meldung="person")
            )
    ctx().session.rollback()
    return _overview(errors, {f"person-{k}": v for k, v in values.items()}, status)
