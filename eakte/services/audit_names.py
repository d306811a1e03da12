"""Names for the auditor: what the trail's usernames and ids stand for, and back.

The trail stores usernames, codes and UUIDs. An auditor knows people by name
and case files by Aktenzeichen, so the Protokoll shows those and accepts them
as filters. What an auditor is shown is metadata only (DESIGN.md: auditors
never see content): display names, Aktenzeichen, Amt names, Aktenplan titles.
Titles of case files, Vorgänge and documents are not shown: they often name
the citizen a file is about and count as content here, whatever the file's
confidentiality. Everything is resolved in one query per kind of object.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from eakte.models import (
    AuditEvent,
    CaseFile,
    Department,
    Document,
    DocumentVersion,
    FilePlanNode,
    Principal,
    Process,
    Tombstone,
)
from eakte.models.vocabulary import GlobalRole
from eakte.services import access
from eakte.services.context import Context

ACTION = "audit.query"


@dataclass(frozen=True)
class About:
    """Events about one case file: the file itself, anything recorded inside it, its documents."""

    case_file: str
    objects: frozenset[str]

    def printable(self) -> dict[str, Any]:
        return {"case_file": self.case_file}


@dataclass(frozen=True)
class Narrowing:
    """Service filters for what the auditor typed, and which entries named nothing."""

    filters: dict[str, Any] = field(default_factory=dict)
    unknown: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Names:
    people: dict[str, str]  # username → display name
    references: dict[str, str]  # id of a case file or something in it → Aktenzeichen
    departments: dict[str, str]  # code → name
    positions: dict[str, str]  # Aktenplan code → title


def narrow(ctx: Context, *, person: str, object_name: str) -> Narrowing:
    """Turn a name or username (`person`) and an Aktenzeichen or id (`object_name`) into filters."""
    access.require_global_role(ctx, GlobalRole.AUDITOR, ACTION)
    filters: dict[str, Any] = {}
    unknown: set[str] = set()
    if person:
        actors = _actors(ctx.session, person)
        if actors:
            filters["actors"] = actors
        else:
            unknown.add("person")
    if object_name:
        about = _about(ctx.session, object_name)
        if about is not None:
            filters["about"] = about
        elif _occurs(ctx.session, AuditEvent.object_id, object_name):
            filters["object"] = object_name
        else:
            unknown.add("object")
    return Narrowing(filters, frozenset(unknown))


def _actors(session: Session, text: str) -> list[str]:
    """Usernames: the one typed, else everyone whose display name holds all words typed."""
    by_username = session.scalar(
        select(Principal.username).where(func.lower(Principal.username) == text.lower())
    )
    if by_username is not None:
        return [by_username]
    words = [_escaped(word) for word in text.split()]
    stmt = select(Principal.username).where(
        *(Principal.display_name.ilike(f"%{word}%", escape="\\") for word in words)
    )
    found = sorted(session.scalars(stmt))
    if not found and _occurs(session, AuditEvent.actor, text):
        found = [text]  # a system actor or a principal that no longer exists
    return found


def _escaped(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _occurs(session: Session, column: Any, value: str) -> bool:
    return session.scalar(select(AuditEvent.id).where(column == value).limit(1)) is not None


def _about(session: Session, text: str) -> About | None:
    """The case file an Aktenzeichen (or a case file's id) names, with its documents' ids."""
    case_file_id = session.scalar(
        select(CaseFile.id).where(func.upper(CaseFile.reference) == text.upper())
    ) or session.scalar(select(Tombstone.case_file_id).where(Tombstone.reference == text))
    if case_file_id is None:
        as_id = _uuid(text)
        if as_id is None or session.get(CaseFile, as_id) is None:
            return None
        case_file_id = as_id
    documents = session.scalars(select(Document.id).where(Document.case_file_id == case_file_id))
    return About(str(case_file_id), frozenset(str(d) for d in documents))


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def names_for(ctx: Context, events: Sequence[AuditEvent]) -> Names:
    """What the auditor may know about the people and objects of these events."""
    access.require_global_role(ctx, GlobalRole.AUDITOR, ACTION)
    return resolve_names(ctx.session, events)


def resolve_names(session: Session, events: Sequence[AuditEvent]) -> Names:
    def ids(*types: str) -> set[str]:
        return {e.object_id for e in events if e.object_type in types and e.object_id}

    usernames = {e.actor for e in events} | ids("principal")
    people = _pairs(
        session,
        select(Principal.username, Principal.display_name).where(Principal.username.in_(usernames)),
    )
    references = {
        e.object_id: str(e.details["reference"])
        for e in events
        if e.object_id and isinstance(e.details, dict) and "reference" in e.details
    }
    missing = {e.object_id for e in events if e.object_id and e.object_id not in references}
    references |= _references(session, ids("case_file") & missing)
    references |= _inside(session, Document, ids("document") & missing)
    references |= _inside(session, Process, ids("process") & missing)
    references |= _versions(session, ids("document_version") & missing)
    codes = {e.department for e in events if e.department} | ids("department")
    departments = _pairs(
        session, select(Department.code, Department.name).where(Department.code.in_(codes))
    )
    positions = _pairs(
        session,
        select(FilePlanNode.code, FilePlanNode.title).where(
            FilePlanNode.code.in_(ids("file_plan_node"))
        ),
    )
    return Names(people, references, departments, positions)


def _pairs(session: Session, stmt: Select[str, str]) -> dict[str, str]:
    return {key: value for key, value in session.execute(stmt)}


def _uuids(texts: Iterable[str]) -> dict[uuid.UUID, str]:
    return {u: text for text in texts if (u := _uuid(text)) is not None}


def _references(session: Session, texts: set[str]) -> dict[str, str]:
    wanted = _uuids(texts)
    if not wanted:
        return {}
    rows = session.execute(
        select(CaseFile.id, CaseFile.reference).where(CaseFile.id.in_(list(wanted)))
    )
    return {wanted[row_id]: reference for row_id, reference in rows}


def _inside(
    session: Session, model: type[Document] | type[Process], texts: set[str]
) -> dict[str, str]:
    wanted = _uuids(texts)
    if not wanted:
        return {}
    rows = session.execute(
        select(model.id, CaseFile.reference)
        .join(CaseFile, CaseFile.id == model.case_file_id)
        .where(model.id.in_(list(wanted)))
    )
    return {wanted[row_id]: reference for row_id, reference in rows}


def _versions(session: Session, texts: set[str]) -> dict[str, str]:
    wanted = _uuids(texts)
    if not wanted:
        return {}
    rows = session.execute(
        select(DocumentVersion.id, CaseFile.reference)
        .join(Document, Document.id == DocumentVersion.document_id)
        .join(CaseFile, CaseFile.id == Document.case_file_id)
        .where(DocumentVersion.id.in_(list(wanted)))
    )
    return {wanted[row_id]: reference for row_id, reference in rows}


def matches(about: About) -> Any:
    """The SQL condition for events about `about`'s case file."""
    return or_(
        AuditEvent.object_id.in_([about.case_file, *about.objects]),
        AuditEvent.details["case_file"].as_string() == about.case_file,
    )
