"""Verwaltung: one person's page: memberships, global roles, password, access tokens.

Admins only, like the overview (`admin.py`), whose labels and form helpers it
shares. A new access token is shown once, on the answer to the form that created
it, and never again.
"""

from __future__ import annotations

import datetime as dt
import uuid

from flask import g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from eakte.errors import InvalidInputError, SeparationOfDutiesError
from eakte.models import ApiToken
from eakte.models.vocabulary import DepartmentRole, GlobalRole, PrincipalKind
from eakte.services import deactivation, departments, passwords, principals, tokens
from eakte.web.admin import (
    ALL_DEPARTMENTS,
    DEPARTMENT_ROLE_LABELS,
    GLOBAL_ROLE_LABELS,
    KIND_LABELS,
    answer,
    code_problem,
    form_values,
)
from eakte.web.blueprint import blp
from eakte.web.formatting import parse_day
from eakte.web.messages import DATE_HINT, UNCLEAR, explain
from eakte.web.session import ctx, signed_in

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
        # Which forms to show; the services decide what is allowed.
        show_forms=GlobalRole.ADMIN.value in g.web_session.principal.global_roles,
        kinds=KIND_LABELS,
        global_roles=GLOBAL_ROLE_LABELS,
        department_roles=DEPARTMENT_ROLE_LABELS,
    )
    return answer(body, status)


def _token_state(key: ApiToken, now: dt.datetime) -> str:
    if key.revoked_at is not None:
        return "widerrufen"
    if key.expires_at is not None and key.expires_at <= now:
        return "abgelaufen"
    return "gültig"


def _back(username: str, notice: str, anchor: str) -> Response:
    return redirect(url_for("web.admin_person", username=username, meldung=notice, _anchor=anchor))


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
        except SeparationOfDutiesError as error:
            errors["passwort"] = explain(error)
        except InvalidInputError as error:
            errors["passwort"] = explain(error, UNCLEAR)
        else:
            return _back(username, "passwort", "passwort")
    ctx().session.rollback()
    return _person_page(username, errors, status=422)


@blp.post("/verwaltung/personen/<username>/mitgliedschaften")
@signed_in
def admin_add_membership(username: str) -> Response:
    values = form_values("department", "role")
    errors = {}
    if code_problem(values["department"]):
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
        except SeparationOfDutiesError as error:
            errors["mitglied-department"] = explain(error)
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
        return _person_page(username, {"rolle": explain(error)}, status=403)
    return _back(username, "rolle-beantragt" if grant.state == "pending" else "rolle", "rollen")


@blp.post("/verwaltung/personen/<username>/rollen/<role>/entziehen")
@signed_in
def admin_revoke_role(username: str, role: str) -> Response:
    if role not in GLOBAL_ROLE_LABELS:
        return _person_page(username, {"rollen": UNCLEAR}, status=422)
    try:
        principals.revoke_role(ctx(), username, GlobalRole(role))
    except SeparationOfDutiesError as error:
        ctx().session.rollback()
        return _person_page(username, {"rollen": explain(error)}, status=403)
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
            errors["schluessel-bis"] = DATE_HINT
        else:  # valid through the whole day
            expires_at = ctx().start_of_day(day + dt.timedelta(days=1))
    if not errors:
        try:
            token, row = tokens.create_token(ctx(), username, expires_at=expires_at)
        except SeparationOfDutiesError as error:
            ctx().session.rollback()
            return _person_page(username, {"schluessel": explain(error)}, status=403)
        except InvalidInputError as error:
            errors["schluessel-bis"] = explain(error)
        else:
            body = render_template(
                "verwaltung_schluessel.html",
                username=username,
                token=token,
                row=row,
            )
            return answer(body, 201)
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
    except SeparationOfDutiesError as error:
        ctx().session.rollback()
        return _person_page(username, {"konto": explain(error)}, status=403)
    return _back(username, "deaktiviert", "konto")


@blp.post("/verwaltung/personen/<username>/reaktivieren")
@signed_in
def admin_reactivate(username: str) -> Response:
    deactivation.reactivate_principal(ctx(), username)
    return _back(username, "reaktiviert", "konto")
