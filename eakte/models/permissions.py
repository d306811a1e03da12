"""Who may do what with a case file: pure rules, no I/O.

A membership in a department also holds in its sub-departments (the head of
Amt 32 works in 32.1 too). A case file is readable by reader+ members of its
department, writable by clerk+ members and managed (grants) by leads. Grants
add access for another department's members or for one named principal until
they expire. A confidential case file ignores department membership and
department grants: only principals named in a grant reach it, and of those
the creator and the department's leads also manage its grants. Global roles
(admin, auditor, records manager) give no access to case files.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from eakte.models.vocabulary import DepartmentRole, GrantPermission

ROLE_RANK = {DepartmentRole.READER: 1, DepartmentRole.CLERK: 2, DepartmentRole.LEAD: 3}


class Access(enum.IntEnum):
    NONE = 0
    READ = 1
    WRITE = 2
    MANAGE = 3


ROLE_ACCESS = {
    DepartmentRole.READER: Access.READ,
    DepartmentRole.CLERK: Access.WRITE,
    DepartmentRole.LEAD: Access.MANAGE,
}


@dataclass(frozen=True)
class GrantFacts:
    permission: str
    expires_at: dt.datetime | None
    department_id: uuid.UUID | None = None
    principal_id: uuid.UUID | None = None

    def active(self, now: dt.datetime) -> bool:
        return self.expires_at is None or self.expires_at > now


def effective_roles(
    memberships: Mapping[uuid.UUID, str], parents: Mapping[uuid.UUID, uuid.UUID | None]
) -> dict[uuid.UUID, DepartmentRole]:
    """Spread each membership down to every sub-department; the highest role wins."""
    roles: dict[uuid.UUID, DepartmentRole] = {}
    for department_id in parents:
        role = _inherited_role(department_id, memberships, parents)
        if role is not None:
            roles[department_id] = role
    return roles


def _inherited_role(
    department_id: uuid.UUID,
    memberships: Mapping[uuid.UUID, str],
    parents: Mapping[uuid.UUID, uuid.UUID | None],
) -> DepartmentRole | None:
    best: DepartmentRole | None = None
    seen: set[uuid.UUID] = set()
    current: uuid.UUID | None = department_id
    while current is not None and current not in seen:
        seen.add(current)
        if current in memberships:
            role = DepartmentRole(memberships[current])
            if best is None or ROLE_RANK[role] > ROLE_RANK[best]:
                best = role
        current = parents.get(current)
    return best


def case_file_access(
    *,
    principal_id: uuid.UUID,
    roles: Mapping[uuid.UUID, DepartmentRole],
    department_id: uuid.UUID,
    confidential: bool,
    grants: Iterable[GrantFacts],
    now: dt.datetime,
    creator_id: uuid.UUID | None = None,
) -> Access:
    access = Access.NONE
    if not confidential and department_id in roles:
        access = ROLE_ACCESS[roles[department_id]]
    for grant in grants:
        if not grant.active(now):
            continue
        if grant.principal_id == principal_id:
            access = max(access, _grant_access(grant.permission))
        elif not confidential and grant.department_id is not None and grant.department_id in roles:
            capped = (
                Access.READ
                if ROLE_RANK[roles[grant.department_id]] < ROLE_RANK[DepartmentRole.CLERK]
                else Access.WRITE
            )
            access = max(access, min(_grant_access(grant.permission), capped))
    if (
        confidential
        and access > Access.NONE
        and (principal_id == creator_id or roles.get(department_id) == DepartmentRole.LEAD)
    ):
        access = Access.MANAGE  # a named creator or lead decides who else is named
    return access


def department_access(
    roles: Mapping[uuid.UUID, DepartmentRole], department_id: uuid.UUID
) -> Access:
    role = roles.get(department_id)
    return ROLE_ACCESS[role] if role else Access.NONE


def _grant_access(permission: str) -> Access:
    return Access.WRITE if permission == GrantPermission.WRITE else Access.READ
