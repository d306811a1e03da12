"""Akten: Meine Akten; anlegen, ansehen, Vorgänge, abschließen (zdA), Freigaben."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from flask import abort, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from eakte.errors import AccessDeniedError, EakteError, InvalidInputError, Reason
from eakte.models import CaseFile, Department
from eakte.models.permissions import Access
from eakte.models.records import TITLE_MAX
from eakte.models.vocabulary import CaseFileStatus, Disposition, GrantPermission
from eakte.retention.policy import retain_until
from eakte.services import access
from eakte.services import case_files as case_file_service
from eakte.services import file_plan as file_plan_service
from eakte.services import grants as grant_service
from eakte.services import processes as process_service
from eakte.services.departments import find_department
from eakte.services.principals import find_principal
from eakte.web import document_list, error_pages, notices, pickers
from eakte.web.blueprint import blp
from eakte.web.formatting import date_text, parse_day
from eakte.web.messages import DATE_HINT, explain, explain_reason
from eakte.web.session import ctx, signed_in

STATUS_LABELS = {CaseFileStatus.OPEN: "offen", CaseFileStatus.CLOSED: "zdA"}
PERMISSION_LABELS = {GrantPermission.READ: "lesen", GrantPermission.WRITE: "bearbeiten"}
DISPOSITION_LABELS = {
    Disposition.ARCHIVE: "danach wird sie dem Archiv angeboten",
    Disposition.DESTROY: "danach wird sie vernichtet",
}
notices.register(
    {
        "vorgang": "Der Vorgang wurde angelegt.",
        "freigabe": "Die Freigabe wurde gespeichert.",
        "freigabe-entfernt": "Die Freigabe wurde entfernt.",
    }
)
PAGE_SIZE = 50
# Column → the service's sort order (the whole list is sorted, page by page).
SORT_KEYS = {"aktenzeichen": "reference", "titel": "title", "angelegt": "created"}


# --- helpers shared with documents.py -------------------------------------------------


def field_errors(error: InvalidInputError, fields: dict[str, str]) -> dict[str, str]:
    """The service's field errors in German, keyed by our form field names.

    `fields` maps service field names to form field names; anything else lands on
    `fallback` (the first form field) so that no error goes unseen.
    """
    fallback = next(iter(fields.values()))
    named = [fields.get(name, fallback) for name in error.errors or {}] or [fallback]
    return dict.fromkeys(named, explain(error))


def error_text(error: EakteError) -> str:
    """One German sentence for an error that has no field."""
    if isinstance(error, InvalidInputError):
        return explain(error)
    return error_pages.error_text(error)


def can(case_file: CaseFile, needed: Access) -> bool:
    """What the service's own rule grants the user here; only to hide forms that would fail."""
    return access.access_to_case_file(ctx(), case_file) >= needed


# --- Meine Akten ----------------------------------------------------------------------


@blp.get("/akten")
@signed_in
def case_files() -> str:
    """Meine Akten: the case files of the user's departments and grants."""
    status = request.args.get("status", "")
    chosen = CaseFileStatus(status) if status in STATUS_LABELS else None
    node = request.args.get("aktenplan", "").strip()
    text = request.args.get("text", "").strip()
    sort = request.args.get("sortierung", "")
    descending = request.args.get("richtung", "") == "ab"
    nodes = file_plan_service.list_nodes(ctx())
    if node and node not in {n.code for n in nodes}:
        node = ""
    order = SORT_KEYS.get(sort, "created")
    if descending or sort not in SORT_KEYS:
        order = "-" + order
    page = case_file_service.list_case_files(
        ctx(),
        status=chosen,
        file_plan=node or None,
        text=text or None,
        sort=order,
        limit=PAGE_SIZE,
        cursor=request.args.get("weiter") or None,
    )
    items = list(page.items)
    shared = grant_service.shared_with_caller(ctx(), items)
    filters = {"status": status if chosen else "", "aktenplan": node, "text": text}
    return render_template(
        "akten.html",
        items=items,
        shared=shared,
        next_cursor=page.next,
        first_page=not request.args.get("weiter"),
        filters=filters,
        query={k: v for k, v in filters.items() if v},
        nodes=nodes,
        sort=sort if sort in SORT_KEYS else "",
        descending=descending,
        labels=STATUS_LABELS,
        status=filters["status"],
    )


# --- Akte anlegen ---------------------------------------------------------------------


@blp.route("/akten/neu", methods=["GET", "POST"])
@signed_in
def new_case_file() -> Response | tuple[str, int] | str:
    departments = pickers.departments_of_user()
    form: dict[str, Any] = {
        "aktenplan": request.form.get("aktenplan", "").strip(),
        "amt": request.form.get("amt", departments[0].code if len(departments) == 1 else ""),
        "titel": request.form.get("titel", "").strip(),
        "vertraulich": bool(request.form.get("vertraulich")),
        "alle_positionen": bool(request.form.get("alle_positionen")),
        "andere_position": request.form.get("andere_position", ""),
    }
    errors: dict[str, str] = {}
    confirm = None
    if request.method == "POST":
        errors = _check_new(form, departments)
        position, confirm = _position(form, departments, errors)
        # In the form's order: the first wrong field gets the focus.
        errors = {name: errors[name] for name in ("amt", "aktenplan", "titel") if name in errors}
        if not errors:
            try:
                created = case_file_service.create_case_file(
                    ctx(),
                    file_plan=position,
                    department=form["amt"],
                    title=form["titel"],
                    confidential=form["vertraulich"],
                )
            except InvalidInputError as error:
                errors = field_errors(
                    error, {"file_plan": "aktenplan", "department": "amt", "title": "titel"}
                )
            except AccessDeniedError:
                errors = {"amt": "In diesem Amt dürfen Sie keine Akten anlegen."}
            else:
                return redirect(url_for("web.case_file", case_file_id=created.id, neu=1))
    page = render_template(
        "akte_neu.html",
        positions=pickers.positions_to_offer(departments, everywhere=form["alle_positionen"]),
        departments=departments,
        form=form,
        errors=errors,
        confirm=confirm,
    )
    return (page, 422) if errors else page


def _position(
    form: dict[str, Any], departments: list[Department], errors: dict[str, str]
) -> tuple[str, pickers.Choice | None]:
    """The code of the position the form names (as typed when none matches), and the
    position to confirm when it belongs to another Amt than the one chosen."""
    if not form["aktenplan"]:
        return "", None
    unit = [d for d in departments if d.code == form["amt"]]
    try:
        chosen, own = pickers.resolve_position(
            form["aktenplan"], unit or departments, everywhere=form["alle_positionen"]
        )
    except pickers.Unclear as unclear:
        errors["aktenplan"] = unclear.text
        return form["aktenplan"], None
    if chosen is None:  # named now, so that every error of the form shows at once
        errors["aktenplan"] = explain_reason(Reason.UNKNOWN_FILE_PLAN_CODE)
        return form["aktenplan"], None
    form["aktenplan"] = chosen.label  # shown again: what "Gewerbe" was taken for
    if own or not unit or form["andere_position"] == chosen.value:
        return chosen.value, None
    errors["aktenplan"] = (
        f"{chosen.label} gehört nicht zu den Positionen des Amtes {unit[0].code} "
        f"{unit[0].name}. Wählen Sie eine Position Ihres Amtes oder bestätigen Sie, "
        "dass die Akte dorthin gehört."
    )
    return chosen.value, chosen


def _check_new(form: dict[str, Any], departments: list[Department]) -> dict[str, str]:
    """Every field at once (the position is resolved by `_position`)."""
    errors = {}
    if not form["aktenplan"]:
        errors["aktenplan"] = "Bitte wählen Sie einen Eintrag aus dem Aktenplan."
    if form["amt"] not in {d.code for d in departments}:
        errors["amt"] = "Bitte wählen Sie das Amt, für das Sie die Akte anlegen."
    if not form["titel"]:
        errors["titel"] = "Bitte geben Sie einen Titel ein."
    elif len(form["titel"]) > TITLE_MAX:
        errors["titel"] = f"Der Titel darf höchstens {TITLE_MAX} Zeichen lang sein."
    return errors


# --- Akte -----------------------------------------------------------------------------


@blp.get("/akten/<uuid:case_file_id>")
@signed_in
def case_file(case_file_id: uuid.UUID) -> tuple[str, int]:
    return render_case_file(case_file_id)


def render_case_file(
    case_file_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, Any] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The Akte page; also re-shown with German errors after a failed form."""
    record = case_file_service.get_case_file(ctx(), case_file_id)
    documents = document_list.listing(record)
    grants = None
    if can(record, Access.MANAGE):
        try:
            grants = grant_service.list_grants(ctx(), case_file_id)
        except AccessDeniedError:
            grants = None
    form = form or {}
    _confirm(record)
    page = render_template(
        "akte.html",
        **documents,
        grants=grants,
        is_open=record.status == CaseFileStatus.OPEN.value,
        labels=STATUS_LABELS,
        permission_labels=PERMISSION_LABELS,
        errors=errors or {},
        form=form,
        # The Vorgang the user is in: from the form, or from a group's upload link.
        upload_process=form.get("vorgang", request.args.get("vorgang", "")),
    )
    return page, status


def _confirm(record: CaseFile) -> None:
    """The confirmations that name a number or a date (the fixed ones: notices.register)."""
    args = request.args
    uploaded = args.get("hochgeladen", type=int)
    version = args.get("neue_version", type=int)
    if args.get("neu") == "1":
        notices.show(
            Markup(
                'Die Akte wurde angelegt. Aktenzeichen: <span class="akte-neues-az">{}</span>'
            ).format(record.reference)
        )
    elif uploaded:
        verb = "Dokument wurde" if uploaded == 1 else "Dokumente wurden"
        notices.show(f"{uploaded} {verb} hochgeladen.")
    elif version:
        notices.show(f"Version {version} wurde hochgeladen.")
    elif args.get(notices.PARAM) == "zda":
        notices.show(
            f"Die Akte ist abgeschlossen (zdA). Aufbewahrung bis {date_text(record.retain_until)}."
        )


@blp.post("/akten/<uuid:case_file_id>/vorgaenge")
@signed_in
def new_process(case_file_id: uuid.UUID) -> Any:
    title = request.form.get("vorgang_titel", "").strip()
    if not title or len(title) > TITLE_MAX:
        text = "Bitte geben Sie einen Titel für den Vorgang ein."
        if title:
            text = f"Der Titel darf höchstens {TITLE_MAX} Zeichen lang sein."
        return render_case_file(
            case_file_id, errors={"vorgang_titel": text}, form={"vorgang_titel": title}, status=422
        )
    created = process_service.create_process(ctx(), case_file_id, title=title)
    # The new Vorgang is where the user is now: chosen in the upload form.
    return notices.redirect_with(
        "vorgang",
        "web.case_file",
        case_file_id=case_file_id,
        vorgang=created.id,
        anchor=f"vorgang-{created.id}",
    )


# --- zdA-Verfügung --------------------------------------------------------------------


@blp.route("/akten/<uuid:case_file_id>/abschliessen", methods=["GET", "POST"])
@signed_in
def close_case_file(case_file_id: uuid.UUID) -> Any:
    if request.method == "POST":
        case_file_service.close_case_file(ctx(), case_file_id)
        return redirect(url_for("web.case_file", case_file_id=case_file_id, meldung="zda"))
    record = case_file_service.get_case_file(ctx(), case_file_id)
    node = record.file_plan_node
    return render_template(
        "akte_abschliessen.html",
        akte=record,
        is_open=record.status == CaseFileStatus.OPEN.value,
        keep_until=retain_until(ctx().today(), node.retention_years),
        afterwards=DISPOSITION_LABELS.get(Disposition(node.disposition), ""),
    )


# --- Freigaben ------------------------------------------------------------------------


@blp.post("/akten/<uuid:case_file_id>/freigaben")
@signed_in
def new_grant(case_file_id: uuid.UUID) -> Any:
    form = {
        "freigabe_art": request.form.get("freigabe_art", "amt"),
        "freigabe_amt": request.form.get("freigabe_amt", "").strip(),
        "freigabe_person": request.form.get("freigabe_person", "").strip(),
        "freigabe_recht": request.form.get("freigabe_recht", "read"),
        "freigabe_bis": request.form.get("freigabe_bis", "").strip(),
    }
    grantee = form["freigabe_person"] if form["freigabe_art"] == "person" else form["freigabe_amt"]
    field = "freigabe_person" if form["freigabe_art"] == "person" else "freigabe_amt"
    if not grantee:
        errors = {
            field: "Bitte geben Sie die Person an (Name oder Benutzername)."
            if form["freigabe_art"] == "person"
            else "Bitte geben Sie das Amt an (Name oder Kennziffer)."
        }
    else:  # a name or a code, typed or chosen from the picker's list
        try:
            if field == "freigabe_person":
                grantee = pickers.resolve_person(grantee)
            else:
                grantee = pickers.resolve_department(grantee)
        except pickers.Unclear as unclear:
            errors = {field: unclear.text}
        else:
            errors = _check_grantee(case_file_id, field, grantee)
    try:
        permission = GrantPermission(form["freigabe_recht"])
    except ValueError:
        errors["freigabe_recht"] = "Bitte wählen Sie lesen oder bearbeiten."
    expires = None
    if form["freigabe_bis"]:
        day = parse_day(form["freigabe_bis"])
        if day is None:
            errors["freigabe_bis"] = DATE_HINT
        else:  # valid through the whole day, as a clerk reads "bis 30.06."
            expires = dt.datetime.combine(day, dt.time(23, 59, 59), ctx().ports.timezone)
            if expires <= ctx().now():
                errors["freigabe_bis"] = explain_reason(Reason.NOT_IN_FUTURE)
    if not errors:
        try:
            grant_service.create_grant(
                ctx(),
                case_file_id,
                department=grantee if field == "freigabe_amt" else None,
                principal=grantee if field == "freigabe_person" else None,
                permission=permission,
                expires_at=expires,
            )
        except InvalidInputError as error:
            errors = field_errors(
                error,
                {"department": field, "principal": field, "expires_at": "freigabe_bis"},
            )
        else:
            return notices.redirect_with(
                "freigabe", "web.case_file", case_file_id=case_file_id, anchor="freigaben"
            )
    return render_case_file(case_file_id, errors=errors, form=form, status=422)


@blp.post("/akten/<uuid:case_file_id>/freigaben/<uuid:grant_id>/entfernen")
@signed_in
def delete_grant(case_file_id: uuid.UUID, grant_id: uuid.UUID) -> Response:
    grant_service.delete_grant(ctx(), case_file_id, grant_id)
    return notices.redirect_with(
        "freigabe-entfernt", "web.case_file", case_file_id=case_file_id, anchor="freigaben"
    )


def _check_grantee(case_file_id: uuid.UUID, field: str, grantee: str) -> dict[str, str]:
    """The grantee's problems before the service is asked, so that all show at once.

    The service checks the same again (and audits the grant); these lookups only let
    the form name an unknown Amt and a past date in one answer.
    """
    if field == "freigabe_person":
        known = find_principal(ctx(), grantee) is not None
        return {} if known else {field: explain_reason(Reason.UNKNOWN_PRINCIPAL)}
    if find_department(ctx(), grantee) is None:
        return {field: explain_reason(Reason.UNKNOWN_DEPARTMENT)}
    if case_file_service.get_case_file(ctx(), case_file_id).confidential:
        return {field: explain_reason(Reason.CONFIDENTIAL_GRANT)}
    return {}


def require_int(value: str | None) -> int | None:
    """A version number from the query string, or 404 for nonsense."""
    if value in (None, ""):
        return None
    if not value.isdigit():
        abort(404)
    return int(value)
