"""Aufbewahrung (Registratur): fällige Akten, Aussonderungssperren, Aussonderungsvorschläge.

Records managers only: every list and action calls the retention services, which
check the role and audit; others get the German 403 page from their
AccessDeniedError. Forms post and redirect back (with a short German message);
a form that needs correcting re-renders the page with the message next to it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Callable
from typing import Any

from flask import Response, g, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from eakte.errors import InvalidInputError, NotInHandoverError
from eakte.models.retention import (
    REASON_MAX,
    DispositionItem,
    DispositionProposal,
)
from eakte.models.vocabulary import Disposition, ItemState, ProposalStatus
from eakte.services import disposition, legal_holds, retention
from eakte.services.disposition import APPROVALS_NEEDED, ARCHIVE_KEPT_NOTE, REJECTED_NOTE_PREFIX
from eakte.services.disposition_execution import HELD_NOTE, NOT_CLOSED_NOTE, NOT_DUE_NOTE
from eakte.web.blueprint import blp
from eakte.web.formatting import parse_day
from eakte.web.messages import DATE_HINT
from eakte.web.session import ctx, signed_in

DUE_PAGE = 100
HOLD_PAGE = 100
PROPOSAL_PAGE = 20

STATUS_LABELS = {
    ProposalStatus.PENDING: "wartet auf Freigabe",
    ProposalStatus.EXECUTING: "wird ausgeführt",
    ProposalStatus.AWAITING_ARCHIVE: "beim Archiv",
    ProposalStatus.COMPLETED: "erledigt",
    ProposalStatus.REJECTED: "abgelehnt",
}
DISPOSITION_LABELS = {
    Disposition.DESTROY: "vernichten",
    Disposition.ARCHIVE: "an das Archiv abgeben",
}
ITEM_LABELS = {
    ItemState.PROPOSED: "vorgeschlagen",
    ItemState.SKIPPED: "bleibt erhalten",
    ItemState.REJECTED: "abgelehnt, bleibt erhalten",
    ItemState.EXPORTED: "an das Archiv übergeben",
    ItemState.DESTROYED: "vernichtet",
}
MESSAGES = {
    "lauf": "Der Retention-Lauf ist abgeschlossen.",
    "sperre": "Die Aussonderungssperre ist gesetzt.",
    "aufgehoben": "Die Aussonderungssperre ist aufgehoben.",
    "freigegeben": "Ihre Freigabe ist gespeichert. Eine zweite Person muss noch freigeben.",
    "ausgefuehrt": "Der Aussonderungsvorschlag ist freigegeben und ausgeführt.",
    "abgelehnt": "Der Aussonderungsvorschlag ist abgelehnt. Die Akten bleiben erhalten.",
    "uebernommen": "Die Übernahme durch das Archiv ist bestätigt.",
}
UUID_IN_TEXT = re.compile(r"[0-9a-fA-F]{8}-?(?:[0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}")
REFERENCE_SEPARATORS = re.compile(r"[\n,;]+")


@blp.get("/aufbewahrung", endpoint="retention")
@signed_in
def retention_page() -> BaseResponse:
    """Aufbewahrung: due files, active legal holds, disposition proposals."""
    return _page()


def _page(
    errors: dict[str, str] | None = None, values: dict[str, str] | None = None
) -> BaseResponse:
    errors = dict(errors or {})
    args = request.args
    stichtag = args.get("stichtag", "").strip()
    as_of = _date(stichtag, "stichtag", errors)
    status = args.get("status", "")
    wanted = ProposalStatus(status) if status in set(ProposalStatus) else None
    due = retention.list_due(
        ctx(), as_of=as_of, limit=DUE_PAGE, cursor=args.get("weiter_faellig") or None
    )
    holds = legal_holds.list_holds(
        ctx(),
        case_file_id=None,
        active=True,
        limit=HOLD_PAGE,
        cursor=args.get("weiter_sperren") or None,
    )
    proposals = disposition.list_proposals(
        ctx(), status=wanted, limit=PROPOSAL_PAGE, cursor=args.get("weiter_vorschlaege") or None
    )
    message = MESSAGES.get(args.get("meldung", ""))
    if args.get("meldung") == "lauf":
        message = (
            f"{message} Vorgeschlagen: {args.get('vorgeschlagen', '0')} Akten; "
            f"wegen Aussonderungssperre zurückgehalten: {args.get('gesperrt', '0')} Akten."
        )
    body = render_template(
        "aufbewahrung.html",
        due=due,
        holds=holds,
        proposals=proposals,
        stichtag=stichtag,
        status=status,
        errors=errors,
        values=values or {},
        message=message,
        status_labels=STATUS_LABELS,
        disposition_labels=DISPOSITION_LABELS,
        item_label=_item_label,
        item_note=_item_note,
        approved_by_me=_approved_by_me,
        approvals_needed=APPROVALS_NEEDED,
        reason_max=REASON_MAX,
        page_args=_page_args,
    )
    return make_response(body, 422 if errors else 200)


@blp.post("/aufbewahrung/lauf")
@signed_in
def retention_run() -> BaseResponse:
    """Retention-Lauf: propose every due, unheld file (with the caller's approval)."""
    errors: dict[str, str] = {}
    stichtag = request.form.get("stichtag", "").strip()
    as_of = _date(stichtag, "lauf", errors)
    if errors:
        return _page(errors, {"lauf.stichtag": stichtag})
    try:
        result = retention.run_retention(ctx(), as_of=as_of)
    except InvalidInputError:  # a day after today: only a preview may look ahead
        message = (
            "Der Stichtag eines Retention-Laufs darf nicht nach dem heutigen Tag liegen. "
            "Welche Akten später fällig werden, zeigt die Liste oben mit einem Stichtag."
        )
        return _page({"lauf": message}, {"lauf.stichtag": stichtag})
    return _back(
        "lauf",
        stichtag=stichtag or None,
        vorgeschlagen=result.proposed,
        gesperrt=result.held,
        anchor="vorschlaege",
    )


@blp.post("/aufbewahrung/sperren")
@signed_in
def retention_place_hold() -> BaseResponse:
    """Aussonderungssperre setzen, for a due row or a case file named by its id or address."""
    form = _form_key("sperre")
    errors: dict[str, str] = {}
    values = {f"{form}.akte": request.form.get("akte", ""), f"{form}.grund": ""}
    named = request.form.get("akte", "").strip()
    case_file_id = _case_file_id(named)
    reference = named if case_file_id is None and named else None
    if case_file_id is None and reference is None:
        errors[form] = "Bitte geben Sie die Akte an: Aktenzeichen, Akten-ID oder Adresse der Akte."
    reason = _reason(form, errors)
    values[f"{form}.grund"] = request.form.get("grund", "")
    if errors:
        return _page(errors, values)
    try:
        legal_holds.place_hold(ctx(), case_file_id, reason, reference=reference)
    except InvalidInputError:
        return _page({form: "Diese Akte gibt es nicht. Bitte prüfen Sie die Angabe."}, values)
    return _back("sperre", anchor="sperren")


@blp.post("/aufbewahrung/sperren/<uuid:hold_id>/aufheben")
@signed_in
def retention_release_hold(hold_id: uuid.UUID) -> BaseResponse:
    """Aussonderungssperre aufheben, with the reason."""
    return _with_reason(
        f"aufheben-{hold_id}",
        lambda reason: legal_holds.release_hold(ctx(), hold_id, reason),
        done="aufgehoben",
        anchor="sperren",
    )


@blp.post("/aufbewahrung/vorschlaege/<uuid:proposal_id>/freigeben")
@signed_in
def retention_approve(proposal_id: uuid.UUID) -> BaseResponse:
    """Freigeben: the second records manager's approval carries the proposal out."""
    proposal = disposition.approve(ctx(), proposal_id)
    done = proposal.status != ProposalStatus.PENDING
    return _back("ausgefuehrt" if done else "freigegeben", anchor=f"vorschlag-{proposal_id}")


@blp.post("/aufbewahrung/vorschlaege/<uuid:proposal_id>/ablehnen")
@signed_in
def retention_reject(proposal_id: uuid.UUID) -> BaseResponse:
    """Ablehnen, with the reason: the files stay."""
    return _with_reason(
        f"ablehnen-{proposal_id}",
        lambda reason: disposition.reject(ctx(), proposal_id, reason),
        done="abgelehnt",
        anchor=f"vorschlag-{proposal_id}",
    )


@blp.post("/aufbewahrung/vorschlaege/<uuid:proposal_id>/uebernahme")
@signed_in
def retention_confirm_archive(proposal_id: uuid.UUID) -> BaseResponse:
    """Übernahme bestätigen: what the archive took over is destroyed here, the rest stays."""
    form = f"uebernahme-{proposal_id}"
    text = request.form.get("nicht_uebernommen", "")
    references = [ref.strip() for ref in REFERENCE_SEPARATORS.split(text) if ref.strip()]
    try:
        disposition.confirm_archive(ctx(), proposal_id, not_imported=references)
    except NotInHandoverError as error:
        unknown = ", ".join(error.references)
        message = f"Diese Aktenzeichen gehören nicht zu dieser Abgabe: {unknown}"
        return _page({form: message}, {f"{form}.nicht_uebernommen": text})
    return _back("uebernommen", anchor=f"vorschlag-{proposal_id}")


@blp.get("/aufbewahrung/vorschlaege/<uuid:proposal_id>/paket")
@signed_in
def retention_package(proposal_id: uuid.UUID) -> BaseResponse:
    """The stored xdomea package of an archive proposal, to send to the archive."""
    filename, chunks = disposition.export_package(ctx(), proposal_id)
    response = Response(chunks, mimetype="application/zip", direct_passthrough=True)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@blp.get("/aufbewahrung/vorschlaege/<uuid:proposal_id>/nachweis")
@signed_in
def retention_certificate(proposal_id: uuid.UUID) -> BaseResponse:
    """Nachweis: the signed certificate of a completed proposal, as PDF (or the signed JSON)."""
    _, document = disposition.certificate(ctx(), proposal_id)
    if request.args.get("format") == "json":
        response = Response(json.dumps(document, ensure_ascii=False), mimetype="application/json")
        name = f"nachweis-{proposal_id}.json"
    else:
        response = Response(disposition.certificate_pdf(document), mimetype="application/pdf")
        name = f"nachweis-{proposal_id}.pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# -- helpers ---------------------------------------------------------------------


def _back(message: str, *, anchor: str, **args: object) -> BaseResponse:
    values: dict[str, Any] = {key: value for key, value in args.items() if value is not None}
    return redirect(url_for("web.retention", meldung=message, _anchor=anchor, **values))


def _form_key(default: str) -> str:
    """Which form on the page posted (a due row's or the general one), for its message."""
    key = request.form.get("formular", default)
    return key if re.fullmatch(r"sperre(-[0-9a-f-]{36})?", key) else default


def _with_reason(
    form: str, act: Callable[[str], object], *, done: str, anchor: str
) -> BaseResponse:
    """A button that needs a reason (Grund): do it, or show the page with the error."""
    errors: dict[str, str] = {}
    reason = _reason(form, errors)
    if errors:
        return _page(errors, {f"{form}.grund": request.form.get("grund", "")})
    act(reason)
    return _back(done, anchor=anchor)


def _reason(form: str, errors: dict[str, str]) -> str:
    reason = request.form.get("grund", "").strip()
    if not reason:
        errors[form] = "Bitte geben Sie einen Grund an."
    elif len(reason) > REASON_MAX:
        errors[form] = f"Der Grund ist zu lang (höchstens {REASON_MAX} Zeichen)."
    return reason


def _case_file_id(text: str) -> uuid.UUID | None:
    match = UUID_IN_TEXT.search(text.strip())
    return uuid.UUID(match.group(0)) if match else None


def _date(text: str, form: str, errors: dict[str, str]) -> dt.date | None:
    if not text:
        return None
    day = parse_day(text)
    if day is None:
        errors[form] = DATE_HINT
    return day


def _page_args(**changes: object) -> dict[str, object]:
    """The page's current query with some values changed (for paging links)."""
    args: dict[str, object] = {
        key: value for key, value in request.args.items() if key != "meldung" and value
    }
    args.update({key: value for key, value in changes.items() if value is not None})
    return args


def _approved_by_me(proposal: DispositionProposal) -> bool:
    me = g.web_session.principal.id
    return any(approval.principal_id == me for approval in proposal.approvals)


def _item_label(item: DispositionItem, proposal: DispositionProposal) -> str:
    if item.state == ItemState.DESTROYED and proposal.disposition == Disposition.ARCHIVE:
        return "vom Archiv übernommen"
    return ITEM_LABELS.get(ItemState(item.state), item.state)


def _item_note(note: str | None) -> str:
    if not note:
        return ""
    if note == HELD_NOTE:
        return "Aussonderungssperre: die Akte bleibt erhalten."
    if note == NOT_DUE_NOTE:
        return "Die Aufbewahrungsfrist ist noch nicht abgelaufen: die Akte bleibt erhalten."
    if note == NOT_CLOSED_NOTE:
        return "Die Akte ist nicht mehr abgeschlossen: sie bleibt erhalten."
    if note == ARCHIVE_KEPT_NOTE:
        return "Vom Archiv nicht übernommen: die Akte bleibt hier."
    if note.startswith(REJECTED_NOTE_PREFIX):
        return f"Vorschlag abgelehnt: {note.removeprefix(REJECTED_NOTE_PREFIX)}"
    return note
