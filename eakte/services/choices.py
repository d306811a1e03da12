"""What a form lets a person choose, found by name or code: the searches behind the pickers.

Every search takes the words a person typed; a row matches when each word occurs in
its code or its name (case-insensitive), so "Sozialamt", "50", "50 Sozialamt" and
"Lena Fischer (l.fischer)" all find what they name. Each search is a read like any
other: checked (signed in) and audited, with the count but not the words (they may
name a person).

A department's Aktenplan positions: the file plan has no link to departments, so a
position belongs to a department when its code starts with the department's main
number (32.10 and 32.20 belong to 32 and to 32.1, the usual Aktenplan convention), or
when the department already keeps case files under it. A department with no position
by either rule is not limited: every position is its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import QueryableAttribute

from eakte.models import CaseFile, Department, FilePlanNode, Principal
from eakte.models.vocabulary import CaseFileStatus, GlobalRole, PrincipalKind
from eakte.services import access, audit
from eakte.services.context import Context

# More would not help a person choose; the pickers say "more match, type more".
MOST = 20


def words_of(text: str) -> list[str]:
    """The words to look for: brackets and quotes around a word do not count."""
    return [w for w in (part.strip("()[]„“\"',;") for part in text.split()) if w]


def _matching(words: Iterable[str], *columns: QueryableAttribute[str]) -> list[ColumnElement[bool]]:
    """One condition per word: it occurs in one of `columns`."""
    conditions = []
    for word in words:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(or_(*(column.ilike(pattern, escape="\\") for column in columns)))
    return conditions


def search_departments(ctx: Context, text: str, *, limit: int = MOST) -> list[Department]:
    """Departments whose code or name holds every word typed, by code."""
    access.require_authenticated(ctx, "department.list")
    stmt = select(Department).where(*_matching(words_of(text), Department.code, Department.name))
    found = list(ctx.session.scalars(stmt.order_by(Department.code).limit(limit)))
    audit.record(ctx, "department.list", details={"search": True, "count": len(found)})
    ctx.commit()
    return found


def search_people(ctx: Context, text: str, *, limit: int = MOST) -> list[Principal]:
    """Active users whose username or display name holds every word typed, by name.

    Open to everyone signed in (a clerk grants a colleague by name); the pages show
    only the display name and the username.
    """
    access.require_authenticated(ctx, "principal.search")
    stmt = select(Principal).where(
        Principal.active.is_(True),
        Principal.kind == PrincipalKind.USER.value,
        *_matching(words_of(text), Principal.username, Principal.display_name),
    )
    found = list(
        ctx.session.scalars(stmt.order_by(Principal.display_name, Principal.username).limit(limit))
    )
    audit.record(ctx, "principal.search", details={"count": len(found)})
    ctx.commit()
    return found


def search_positions(
    ctx: Context, text: str, *, departments: Sequence[Department], everywhere: bool
) -> tuple[list[FilePlanNode], frozenset[str]]:
    """Aktenplan positions holding every word typed, by code, and the codes of those
    that belong to `departments` (see the module docstring).

    Only the departments' own positions unless `everywhere` (or none belong to them).
    """
    access.require_authenticated(ctx, "file_plan.list")
    stmt = select(FilePlanNode).where(
        *_matching(words_of(text), FilePlanNode.code, FilePlanNode.title)
    )
    nodes = list(ctx.session.scalars(stmt.order_by(FilePlanNode.code)))
    own = own_positions(ctx, departments)
    if not everywhere and own:
        nodes = [node for node in nodes if node.code in own]
    audit.record(ctx, "file_plan.list", details={"search": True, "count": len(nodes)})
    ctx.commit()
    return nodes, own


def search_references(ctx: Context, text: str, *, limit: int = MOST) -> list[CaseFile]:
    """Case files of every department whose Aktenzeichen holds every word typed: for
    records managers, who place legal holds by Aktenzeichen (metadata, not content).

    Only the Aktenzeichen is searched, never the title: a title may name a person.
    """
    access.require_global_role(ctx, GlobalRole.RECORDS_MANAGER, "case_file.list")
    stmt = select(CaseFile).where(
        CaseFile.status != CaseFileStatus.DISPOSED.value,
        *_matching(words_of(text), CaseFile.reference),
    )
    found = list(ctx.session.scalars(stmt.order_by(CaseFile.reference).limit(limit)))
    audit.record(ctx, "case_file.list", details={"search": True, "count": len(found)})
    ctx.commit()
    return found


def own_positions(ctx: Context, departments: Sequence[Department]) -> frozenset[str]:
    """The codes of the positions that belong to any of `departments`; empty when none
    does (then nothing is limited). A plain lookup: the file plan is open to all."""
    if not departments:
        return frozenset()
    codes = set(ctx.session.scalars(select(FilePlanNode.code)))
    prefixes = {main_number(unit.code) for unit in departments}
    own = {code for code in codes if main_number(code) in prefixes}
    used = select(FilePlanNode.code).join(CaseFile, CaseFile.file_plan_node_id == FilePlanNode.id)
    used = used.where(CaseFile.department_id.in_([unit.id for unit in departments]))
    own.update(ctx.session.scalars(used.distinct()))
    return frozenset(own)


def main_number(code: str) -> str:
    """ "32" for 32, 32.1 and 32.10: the number an Amt and its Aktenplan share."""
    return code.split(".", 1)[0].strip()
