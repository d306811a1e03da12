"""Verwaltung (Administration): Ämter, Personen, Mitgliedschaften, Rollen, Zugangsschlüssel.

Admins only: every read and change goes through the services, which check the
admin role and audit the action. Forms follow post/redirect/get; a rejected
form is shown again with German messages next to the fields. A new access
token is shown once, on the answer to the form that created it, and never again.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Any

from flask import Response, g, make_response, redirect, render_template, request, url_for

from eakte.api.schemas.common import CODE_PATTERN, USERNAME_PATTERN
from eakte.errors import ConflictError, InvalidInputError, SeparationOfDutiesError
from eakte.models.vocabulary import DepartmentRole, GlobalRole, PrincipalKind
from eakte.services import deactivation, departments, passwords, principals, tokens
from eakte.web.blueprint import blp
from eakte.web.protocol import berlin_time, parse_day, start_of
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
PASSWORD_PROBLEMS = {
    f"at least {passwords.MIN_LENGTH} characters": f"Mindestens {passwords.MIN_LENGTH} Zeichen.",
    f"at most {passwords.MAX_LENGTH} characters": f"Höchstens {passwords.MAX_LENGTH} Zeichen.",
    "must not contain the username": "Das Passwort darf den Benutzernamen nicht enthalten.",
    "service accounts have no password": (
        "Dienstkonten haben kein Passwort; sie melden sich mit Zugangsschlüsseln an."
    ),
}
CODE = re.compile(f"^{CODE_PATTERN}$")
USERNAME = re.compile(f"^{USERNAME_PATTERN}$", re.ASCII)
UNCLEAR = "Die Eingabe ist nicht gültig. Bitte prüfen Sie die Angaben."
# What a refusal by the separation-of-duties rules means, per form.
NOT_ALONE = {
    "own": "Eigene Rechte, das eigene Konto und das eigene Passwort ändert immer eine andere "
    "Person (das eigene Passwort unter „Passwort ändern“).",
    "exclusive": "Administration und Schriftgutverwaltung hält nie dieselbe Person.",
    "token": "Zugangsschlüssel für Benutzerkonten stellt nur die Person selbst aus; "
    "die Verwaltung stellt sie für Dienstkonten aus.",
}


def _text_problem(value: str, longest: int) -> str | None:
    if not value:
        return "Bitte ausfüllen."
    if len(value) > longest:
        return f"Höchstens {longest} Zeichen."
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        return "Bitte keine Steuerzeichen verwenden."
    return None


def _code_problem(value: str) -> str | None:
    if len(value) > 32 or not CODE.match(value):
        return "Bitte ein Kürzel aus Ziffern oder Buchstaben, mit Punkten getrennt, z. B. 32.1."
    return None


def _form(*names: str) -> dict[str, str]:
    return {name: (request.form.get(name) or "").strip() for name in names}


def _answer(body: str, status: int) -> Response:
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
        notice=NOTICES.get(request.args.get("hinweis", "")),
        kinds=KIND_LABELS,
        global_roles=GLOBAL_ROLE_LABELS,
        department_roles=DEPARTMENT_ROLE_LABELS,
    )
    return _answer(body, status)


@blp.post("/verwaltung/aemter")
@signed_in
def admin_create_department() -> Response:
    values = _form("code", "name", "parent")
    errors = {}
    if problem := _code_problem(values["code"]):
        errors["amt-code"] = problem
    if problem := _text_problem(values["name"], 200):
        errors["amt-name"] = problem
    if values["parent"] and (problem := _code_problem(values["parent"])):
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
            return redirect(url_for("web.admin", hinweis="amt", _anchor="aemter"))
    ctx().session.rollback()
    return _overview(errors, {f"amt-{k}": v for k, v in values.items()}, status)


@blp.post("/verwaltung/personen")
@signed_in
def admin_create_person() -> Response:
    values = _form("username", "display_name", "kind")
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
                url_for("web.admin_person", username=values["username"], hinweis="person")
            )
    ctx().session.rollback()
    return _overview(errors, {f"person-{k}": v for k, v in values.items()}, status)


# --- one person: password, memberships, roles, tokens ---------------------------------


@blp.get("/verwaltung/personen/<username>")
@signed_in
def admin_person(username: str) -> Response:
    """One person: memberships, global roles, password and access tokens."""
    return _person_page(username)


def _person_page(
    username: str,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    person = principals.get_principal(ctx(), username)
    keys = tokens.list_tokens(ctx(), username)
    units = departments.list_departments(ctx(), limit=ALL_DEPARTMENTS, cursor=None).items
    now = ctx().now()
    body = render_template(
        "verwaltung_person.html",
        person=person,
        keys=[(key, _token_state(key, now)) for key in keys],
        unit_options=[(unit.code, f"{unit.code} {unit.name}") for unit in units],
        free_roles=[
            (value, label)
            for value, label in GLOBAL_ROLE_LABELS.items()
            if value not in {grant.role for grant in person.roles}
        ],
        own=person.id == ctx().actor_id,
        may_issue_token=person.kind == PrincipalKind.SERVICE or person.id == ctx().actor_id,
        errors=errors or {},
        values=values or {},
        notice=NOTICES.get(request.args.get("hinweis", "")),
        # Which forms to show; the services decide what is allowed.
        show_forms=GlobalRole.ADMIN.value in g.web_session.principal.global_roles,
        kinds=KIND_LABELS,
        global_roles=GLOBAL_ROLE_LABELS,
        department_roles=DEPARTMENT_ROLE_LABELS,
        berlin_time=berlin_time,
    )
    return _answer(body, status)


def _token_state(key: Any, now: Any) -> str:
    if key.revoked_at is not None:
        return "widerrufen"
    if key.expires_at is not None and key.expires_at <= now:
        return "abgelaufen"
    return "gültig"


def _back(username: str, notice: str, anchor: str) -> Response:
    return redirect(url_for("web.admin_person", username=username, hinweis=notice, _anchor=anchor))


@blp.post("/verwaltung/personen/<username>/passwort")
@signed_in
def admin_set_password(username: str) -> Response:
    password = request.form.get("passwort") or ""
    errors = {}
    if not password:
        errors["passwort"] = "Bitte ein Passwort eingeben."
    elif len(password) > 1024:
        errors["passwort"] = f"Höchstens {passwords.MAX_LENGTH} Zeichen."
    else:
        try:
            passwords.set_password(ctx(), username, password)
        except SeparationOfDutiesError:
            errors["passwort"] = NOT_ALONE["own"]
        except InvalidInputError as error:
            problems = (error.errors or {}).get("password") or []
            errors["passwort"] = (
                " ".join(PASSWORD_PROBLEMS.get(p, UNCLEAR) for p in problems) or UNCLEAR
            )
        else:
            return _back(username, "passwort", "passwort")
    ctx().session.rollback()
    return _person_page(username, errors, status=422)


@blp.post("/verwaltung/personen/<username>/mitgliedschaften")
@signed_in
def admin_add_membership(username: str) -> Response:
    values = _form("department", "role")
    errors = {}
    if _code_problem(values["department"]):
        errors["mitglied-department"] = "Bitte wählen Sie ein Amt."
    if values["role"] not in DEPARTMENT_ROLE_LABELS:
        errors["mitglied-role"] = "Bitte wählen Sie eine Rolle."
    if not errors:
        try:
            membership, _ = principals.add_membership(
                ctx(),
                username,
                department=values["department"],
                role=DepartmentRole(values["role"]),
            )
        except SeparationOfDutiesError:
            errors["mitglied-department"] = NOT_ALONE["own"]
        except InvalidInputError:
            errors["mitglied-department"] = "Dieses Amt gibt es nicht."
        else:
            waits = principals.membership_waits(membership)
            notice = "mitgliedschaft-beantragt" if waits else "mitgliedschaft"
            return _back(username, notice, "mitgliedschaften")
    ctx().session.rollback()
    return _person_page(username, errors, {f"mitglied-{k}": v for k, v in values.items()}, 422)


@blp.post("/verwaltung/personen/<username>/mitgliedschaften/<department>/entfernen")
@signed_in
def admin_remove_membership(username: str, department: str) -> Response:
    principals.remove_membership(ctx(), username, department=department)
    return _back(username, "mitgliedschaft-entfernt", "mitgliedschaften")


@blp.post("/verwaltung/personen/<username>/rollen")
@signed_in
def admin_grant_role(username: str) -> Response:
    role = (request.form.get("role") or "").strip()
    if role not in GLOBAL_ROLE_LABELS:
        ctx().session.rollback()
        return _person_page(username, {"rolle": "Bitte wählen Sie eine Rolle."}, status=422)
    try:
        grant, _ = principals.grant_role(ctx(), username, GlobalRole(role))
    except SeparationOfDutiesError as error:
        ctx().session.rollback()
        reason = NOT_ALONE["own" if "own" in error.detail else "exclusive"]
        return _person_page(username, {"rolle": reason}, status=403)
    return _back(username, "rolle-beantragt" if grant.state == "pending" else "rolle", "rollen")


@blp.post("/verwaltung/personen/<username>/rollen/<role>/entziehen")
@signed_in
def admin_revoke_role(username: str, role: str) -> Response:
    if role not in GLOBAL_ROLE_LABELS:
        return _person_page(username, {"rollen": UNCLEAR}, status=422)
    try:
        principals.revoke_role(ctx(), username, GlobalRole(role))
    except SeparationOfDutiesError:
        ctx().session.rollback()
        return _person_page(username, {"rollen": NOT_ALONE["own"]}, status=403)
    return _back(username, "rolle-entzogen", "rollen")


@blp.post("/verwaltung/personen/<username>/schluessel")
@signed_in
def admin_create_token(username: str) -> Response:
    """A new access token, shown on this answer only: it is stored as a hash."""
    until = (request.form.get("bis") or "").strip()
    expires_at = None
    errors = {}
    if until:
        day = parse_day(until)
        if day is None:
            errors["schluessel-bis"] = "Bitte ein Datum angeben, z. B. 31.12.2026."
        else:
            expires_at = start_of(day, next_day=True)  # valid through the whole day
    if not errors:
        try:
            token, row = tokens.create_token(ctx(), username, expires_at=expires_at)
        except SeparationOfDutiesError:
            ctx().session.rollback()
            return _person_page(username, {"schluessel": NOT_ALONE["token"]}, status=403)
        except InvalidInputError as error:
            problem = " ".join((error.errors or {}).get("expires_at") or [])
            errors["schluessel-bis"] = (
                f"Höchstens {ctx().ports.settings.token_max_days} Tage im Voraus."
                if "at most" in problem
                else "Das Datum muss in der Zukunft liegen."
            )
        else:
            body = render_template(
                "verwaltung_schluessel.html",
                username=username,
                token=token,
                row=row,
                berlin_time=berlin_time,
            )
            return _answer(body, 201)
    ctx().session.rollback()
    return _person_page(username, errors, {"schluessel-bis": until}, 422)


@blp.post("/verwaltung/personen/<username>/schluessel/<uuid:token_id>/widerrufen")
@signed_in
def admin_revoke_token(username: str, token_id: uuid.UUID) -> Response:
    tokens.revoke_token(ctx(), username, token_id)
    return _back(username, "widerrufen", "schluessel")


@blp.post("/verwaltung/personen/<username>/deaktivieren")
@signed_in
def admin_deactivate(username: str) -> Response:
    try:
        deactivation.deactivate_principal(ctx(), username)
    except SeparationOfDutiesError:
        ctx().session.rollback()
        return _person_page(username, {"konto": NOT_ALONE["own"]}, status=403)
    return _back(username, "deaktiviert", "konto")


@blp.post("/verwaltung/personen/<username>/reaktivieren")
@signed_in
def admin_reactivate(username: str) -> Response:
    deactivation.reactivate_principal(ctx(), username)
    return _back(username, "reaktiviert", "konto")
