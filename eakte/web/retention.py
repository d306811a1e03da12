"""Aufbewahrung (Registratur): fällige Akten, Aussonderungssperren, Aussonderungsvorschläge.

Records managers only: every list and action calls the retention services, which
check the role and audit; others get the German 403 page from their
AccessDeniedError. Forms post and redirect back (with a short German message);
a form that needs correcting re-renders the page with the message next to it.
A Stichtag after today only previews: the list says what would be due, the run
proposes nothing. The proposals' actions are in `retention_proposals`.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from typing import Any

from flask import g, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from eakte.errors import InvalidInputError
from eakte.models.retention import (
    REASON_MAX,
    DispositionItem,
    DispositionProposal,
)
from eakte.models.vocabulary import Disposition, ItemState, ProposalStatus
from eakte.services import disposition, legal_holds, retention
from eakte.services.disposition import APPROVALS_NEEDED
from eakte.web import notices
from eakte.web.blueprint import blp
from eakte.web.formatting import count_text, date_text, parse_day
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
    "vorschau": "Vorschau, es wurde nichts vorgeschlagen.",
    "sperre": "Die Aussonderungssperre ist gesetzt.",
    "aufgehoben": "Die Aussonderungssperre ist aufgehoben.",
    "freigegeben": "Ihre Freigabe ist gespeichert. Eine zweite Person muss noch freigeben.",
    "ausgefuehrt": "Der Aussonderungsvorschlag ist freigegeben und ausgeführt.",
    "abgelehnt": "Der Aussonderungsvorschlag ist abgelehnt. Die Akten bleiben erhalten.",
    "uebernommen": "Die Übernahme durch das Archiv ist bestätigt.",
}
notices.register(MESSAGES)
UUID_IN_TEXT = re.compile(r"[0-9a-fA-F]{8}-?(?:[0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}")
REFERENCE_SEPARATORS = re.compile(r"[\n,;]+")


@blp.get("/aufbewahrung", endpoint="retention")
@signed_in
def retention_page() -> BaseResponse:
    """Aufbewahrung: due files, active legal holds, disposition proposals."""
    return render_page()


def render_page(
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    *,
    status: int | None = None,
) -> BaseResponse:
    """The Aufbewahrung page; with `errors` (by form) the status is 422 unless given."""
    errors = dict(errors or {})
    args = request.args
    stichtag = args.get("stichtag", "").strip()
    as_of = _date(stichtag, "stichtag", errors)
    today = ctx().today()
    preview = as_of is not None and as_of > today
    shown = args.get("status", "")
    wanted = ProposalStatus(shown) if shown in set(ProposalStatus) else None
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
    message = _message(args.get(notices.PARAM, ""))
    if message:  # into the one status region of base.html
        notices.show(message)
    body = render_template(
        "aufbewahrung.html",
        due=due,
        holds=holds,
        proposals=proposals,
        stichtag=stichtag,
        as_of=as_of,
        today=today,
        preview=preview,
        status=shown,
        errors=errors,
        values=values or {},
        status_labels=STATUS_LABELS,
        disposition_labels=DISPOSITION_LABELS,
        item_label=_item_label,
        item_note=disposition.note_text,
        approved_by_me=_approved_by_me,
        approvals_needed=APPROVALS_NEEDED,
        reason_max=REASON_MAX,
        page_args=_page_args,
    )
    return make_response(body, status or (422 if errors else 200))


def _message(key: str) -> str | None:
    """The German message after a redirect; the run's counts in the right number."""
    message = MESSAGES.get(key)
    if key not in ("lauf", "vorschau"):
        return message
    proposed = _count(request.args.get("vorgeschlagen"))
    held = _count(request.args.get("gesperrt"))
    if key == "vorschau":
        day = parse_day(request.args.get("stichtag", ""))
        return (
            f"Vorschau zum Stichtag {date_text(day)}: vorzuschlagen wären "
            f"{count_text(proposed, 'Akte', 'Akten')}; wegen Aussonderungssperre "
            f"zurückgehalten würden {count_text(held, 'Akte', 'Akten')}. Es wurde nichts "
            "vorgeschlagen: ein Retention-Lauf ist frühestens an diesem Tag möglich."
        )
    return (
        f"{message} Vorgeschlagen: {count_text(proposed, 'Akte', 'Akten')}; "
        f"wegen Aussonderungssperre zurückgehalten: {count_text(held, 'Akte', 'Akten')}."
    )


def _count(text: str | None) -> int:
    return int(text) if text and text.isdigit() else 0


@blp.post("/aufbewahrung/lauf")
@signed_in
def retention_run() -> BaseResponse:
    """Retention-Lauf: propose every due, unheld file (with the caller's approval).

    A Stichtag after today only previews (a dry run): nothing is proposed."""
    errors: dict[str, str] = {}
    stichtag = request.form.get("stichtag", "").strip()
    as_of = _date(stichtag, "lauf", errors)
    if errors:
        return render_page(errors, {"lauf.stichtag": stichtag})
    preview = as_of is not None and as_of > ctx().today()
    result = retention.run_retention(ctx(), as_of=as_of, dry_run=preview)
    return back(
        "vorschau" if preview else "lauf",
        stichtag=as_of.isoformat() if as_of else None,
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
        return render_page(errors, values)
    try:
        legal_holds.place_hold(ctx(), case_file_id, reason, reference=reference)
    except InvalidInputError:
        return render_page({form: "Diese Akte gibt es nicht. Bitte prüfen Sie die Angabe."}, values)
    return back("sperre", anchor="sperren")


@blp.post("/aufbewahrung/sperren/<uuid:hold_id>/aufheben")
@signed_in
def retention_release_hold(hold_id: uuid.UUID) -> BaseResponse:
    """Aussonderungssperre aufheben, with the reason."""
    return with_reason(
        f"aufheben-{hold_id}",
        lambda reason: legal_holds.release_hold(ctx(), hold_id, reason),
        done="aufgehoben",
        anchor="sperren",
    )


# -- helpers ---------------------------------------------------------------------


def back(message: str, *, anchor: str, **args: object) -> BaseResponse:
    values: dict[str, Any] = {key: value for key, value in args.items() if value is not None}
    values[notices.PARAM] = message
    return redirect(url_for("web.retention", _anchor=anchor, **values))


def _form_key(default: str) -> str:
    """Which form on the page posted (a due row's or the general one), for its message."""
    key = request.form.get("formular", default)
    return key if re.fullmatch(r"sperre(-[0-9a-f-]{36})?", key) else default


def with_reason(form: str, act: Callable[[str], object], *, done: str, anchor: str) -> BaseResponse:
    """A button that needs a reason (Grund): do it, or show the page with the error."""
    errors: dict[str, str] = {}
    reason = _reason(form, errors)
    if errors:
        return render_page(errors, {f"{form}.grund": request.form.get("grund", "")})
    act(reason)
    return back(done, anchor=anchor)


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
