"""Pickers: choose an Amt, a person, an Aktenplan position or an Akte by name or code.

Two halves of one component (templates/auswahl.html, static/auswahl.js):
- small JSON endpoints the script asks while a person types (`/auswahl/...?q=`);
- `resolve_*` for the form that is sent: the field holds whatever was typed or chosen
  (a code, a name, or the label a suggestion put there), so the form works the same
  without JavaScript. One match is taken; several give a German error naming them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from flask import jsonify, request
from werkzeug.wrappers import Response

from eakte.models import CaseFile, Department, FilePlanNode, Principal
from eakte.services import case_files as case_file_service
from eakte.services import choices
from eakte.services.retention import visible_title
from eakte.web.blueprint import blp
from eakte.web.session import actor, ctx, signed_in

# Shown in an error listing candidates; the picker itself shows up to choices.MOST.
LISTED = 8
OTHER_DEPARTMENT = "anderes Amt"


@dataclass(frozen=True)
class Choice:
    value: str  # what the service takes: a code, a username, a case file's id
    label: str  # what the field shows once chosen; typed back, it names this choice again
    name: str  # the name alone, as a person may type it
    hint: str = ""


class Unclear(Exception):
    """The text names several choices, or none: the German sentence says which."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def pick(text: str, options: Sequence[Choice]) -> Choice | None:
    """The one choice `text` names among the search's `options`; None when none does.

    An exact code, label or name wins over a partial match ("32" over 32.1).
    Raises Unclear for several.
    """
    folded = text.strip().casefold()
    for field in ("value", "label", "name"):
        hits = [c for c in options if str(getattr(c, field)).casefold() == folded]
        if len(hits) == 1:
            return hits[0]
    if len(options) == 1:
        return options[0]
    if not options:
        return None
    listed = ", ".join(choice.label for choice in options[:LISTED])
    more = " und weitere" if len(options) > LISTED else ""
    raise Unclear(f"„{text}“ passt auf mehrere: {listed}{more}. Bitte wählen Sie eine Angabe.")


# --- what a choice looks like ---------------------------------------------------------


def department_choice(unit: Department) -> Choice:
    return Choice(unit.code, f"{unit.code} {unit.name}", unit.name)


def person_choice(person: Principal) -> Choice:
    return Choice(
        person.username, f"{person.display_name} ({person.username})", person.display_name
    )


def position_choice(node: FilePlanNode, own: frozenset[str]) -> Choice:
    hint = "" if not own or node.code in own else OTHER_DEPARTMENT
    return Choice(node.code, f"{node.code} {node.title}", node.title, hint)


def case_file_choice(record: CaseFile) -> Choice:
    return Choice(str(record.id), f"{record.reference} {record.title}", record.reference)


# --- resolving what a form sent -------------------------------------------------------


def resolve_department(text: str) -> str:
    """The code of the Amt `text` names; unknown text goes on as typed (the service
    says "gibt es nicht")."""
    chosen = pick(text, [department_choice(u) for u in choices.search_departments(ctx(), text)])
    return chosen.value if chosen else text


def resolve_person(text: str) -> str:
    """The username of the person `text` names; unknown text goes on as typed."""
    chosen = pick(text, [person_choice(p) for p in choices.search_people(ctx(), text)])
    return chosen.value if chosen else text


def resolve_position(
    text: str, departments: Sequence[Department], *, everywhere: bool
) -> tuple[Choice | None, bool]:
    """The position `text` names (None: no position matches), and whether it belongs
    to `departments`.

    The departments' own positions are searched first, then (unless one of them
    matched) all: "Gewerbe" finds 32.10 for a clerk of 32.1 even when another Amt
    has a "Gewerbesteuer" position.
    """
    for all_of_them in (True,) if everywhere else (False, True):
        nodes, own = choices.search_positions(
            ctx(), text, departments=departments, everywhere=all_of_them
        )
        chosen = pick(text, [position_choice(n, own) for n in nodes])
        if chosen is not None:
            return chosen, not own or chosen.value in own
    return None, True


def positions_to_offer(departments: Sequence[Department], *, everywhere: bool) -> list[Choice]:
    """The positions a form lists before anything is typed (the datalist without script)."""
    nodes, own = choices.search_positions(ctx(), "", departments=departments, everywhere=everywhere)
    return [position_choice(node, own) for node in nodes]


# --- suggestions while typing ---------------------------------------------------------


def _answer(options: Sequence[Choice]) -> Response:
    shown = list(options)[: choices.MOST]
    return jsonify(options=[asdict(c) for c in shown], more=len(options) >= choices.MOST)


@blp.get("/auswahl/aemter")
@signed_in
def departments_to_choose() -> Response:
    found = choices.search_departments(ctx(), request.args.get("q", ""))
    return _answer([department_choice(u) for u in found])


@blp.get("/auswahl/personen")
@signed_in
def people_to_choose() -> Response:
    found = choices.search_people(ctx(), request.args.get("q", ""))
    return _answer([person_choice(p) for p in found])


@blp.get("/auswahl/aktenplan")
@signed_in
def positions_to_choose() -> Response:
    """Positions of the chosen Amt (`amt`, one of the user's) or of all the user's
    departments; `alle_positionen=1` adds the other Ämter's positions."""
    nodes, own = choices.search_positions(
        ctx(),
        request.args.get("q", ""),
        departments=departments_of_user(request.args.get("amt", "")),
        everywhere=request.args.get("alle_positionen") == "1",
    )
    return _answer([position_choice(n, own) for n in nodes])


@blp.get("/auswahl/akten")
@signed_in
def case_files_to_choose() -> Response:
    """Readable case files whose Aktenzeichen or title holds the text typed."""
    page = case_file_service.list_case_files(
        ctx(), text=request.args.get("q", "").strip() or None, limit=choices.MOST, cursor=None
    )
    return _answer([case_file_choice(record) for record in page.items])


@blp.get("/auswahl/aktenzeichen")
@signed_in
def references_to_choose() -> Response:
    """Aktenzeichen of all departments, for the Registratur's legal holds; the title
    only as a hint and only where the reader may see it (confidential ones not)."""
    found = choices.search_references(ctx(), request.args.get("q", "").strip())
    return _answer(
        [
            Choice(record.reference, record.reference, record.reference, title or "")
            for record in found
            for title in [visible_title(ctx(), record)]
        ]
    )


def departments_of_user(chosen: str = "") -> list[Department]:
    """The user's departments, or only `chosen` when it is one of them."""
    units = sorted((m.department for m in actor().active_memberships), key=lambda d: d.code)
    return [u for u in units if u.code == chosen] or units
