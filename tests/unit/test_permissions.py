"""The pure access rules, without a database."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from eakte.models.permissions import Access, GrantFacts, case_file_access, effective_roles
from eakte.models.vocabulary import DepartmentRole

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
D32, D32_1, D50 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
PARENTS = {D32: None, D32_1: D32, D50: None}
ME = uuid.uuid4()


def access(roles, *, department=D32, confidential=False, grants=()):
    return case_file_access(
        principal_id=ME,
        roles=effective_roles(roles, PARENTS),
        department_id=department,
        confidential=confidential,
        grants=grants,
        now=NOW,
    )


def test_membership_spreads_to_sub_departments_but_not_upwards():
    assert effective_roles({D32: "clerk"}, PARENTS) == {
        D32: DepartmentRole.CLERK,
        D32_1: DepartmentRole.CLERK,
    }
    assert effective_roles({D32_1: "lead"}, PARENTS) == {D32_1: DepartmentRole.LEAD}


def test_the_higher_of_an_inherited_and_a_direct_role_wins():
    roles = effective_roles({D32: "lead", D32_1: "reader"}, PARENTS)
    assert roles[D32_1] is DepartmentRole.LEAD


@pytest.mark.parametrize(
    ("role", "expected"),
    [("reader", Access.READ), ("clerk", Access.WRITE), ("lead", Access.MANAGE)],
)
def test_department_role_gives_its_level(role, expected):
    assert access({D32: role}) is expected


def test_other_department_gets_nothing():
    assert access({D50: "lead"}) is Access.NONE


def test_department_grant_is_capped_by_the_members_role():
    write_to_50 = GrantFacts("write", None, department_id=D50)
    assert access({D50: "clerk"}, grants=[write_to_50]) is Access.WRITE
    assert access({D50: "reader"}, grants=[write_to_50]) is Access.READ


def test_expired_grant_gives_nothing():
    expired = GrantFacts("read", NOW - dt.timedelta(seconds=1), department_id=D50)
    running = GrantFacts("read", NOW + dt.timedelta(days=1), department_id=D50)
    assert access({D50: "clerk"}, grants=[expired]) is Access.NONE
    assert access({D50: "clerk"}, grants=[running]) is Access.READ


def test_confidential_files_ignore_membership_and_department_grants():
    department_grant = GrantFacts("write", None, department_id=D50)
    assert access({D32: "lead"}, confidential=True) is Access.NONE
    assert access({D50: "clerk"}, confidential=True, grants=[department_grant]) is Access.NONE


def test_confidential_files_open_to_named_principals_only():
    named = GrantFacts("read", None, principal_id=ME)
    someone_else = GrantFacts("write", None, principal_id=uuid.uuid4())
    assert access({}, confidential=True, grants=[named]) is Access.READ
    assert access({}, confidential=True, grants=[someone_else]) is Access.NONE


def test_a_named_lead_or_creator_manages_a_confidential_file():
    named = GrantFacts("write", None, principal_id=ME)
    assert access({D32: "lead"}, confidential=True, grants=[named]) is Access.MANAGE
    assert access({D32: "clerk"}, confidential=True, grants=[named]) is Access.WRITE
    assert (
        case_file_access(
            principal_id=ME,
            roles={},
            department_id=D32,
            confidential=True,
            grants=[named],
            now=NOW,
            creator_id=ME,
        )
        is Access.MANAGE
    )
