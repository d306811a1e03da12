"""No one alone, at the level of the use cases: who confirms a membership or a role.

Moved here from tests/api/test_separation_of_duties.py, whose other tests are about
what a caller sees over HTTP.
"""

from __future__ import annotations

import pytest

from eakte.errors import AccessDeniedError, ConflictError, SeparationOfDutiesError
from eakte.models.vocabulary import ApprovalState, DepartmentRole, GlobalRole, GrantPermission
from eakte.services import case_files, grants, principals, retention
from tests.helpers import audit_events
from tests.town import add_person


def test_a_lead_does_not_confirm_its_own_promotion(service, people):
    """Carla, reader in 32, promoted to lead: still a reader until another lead confirms."""
    with service.acting(people["admin"]) as admin:
        membership, created = principals.add_membership(
            admin, "carla", department="32", role=DepartmentRole.LEAD
        )
        assert not created
        assert membership.role == "reader"
        assert membership.pending_role == "lead"
    with service.acting(people["anna"]) as anna:
        case_file = case_files.create_case_file(
            anna, file_plan="32.10", department="32", title="Gewerbeanmeldung Bäckerei Sommer"
        )
    with service.acting(people["carla"]) as carla, pytest.raises(AccessDeniedError):
        grants.create_grant(carla, case_file.id, department="50", permission=GrantPermission.READ)
    with service.acting(people["carla"]) as carla, pytest.raises(AccessDeniedError) as refused:
        principals.approve_membership(carla, "carla", department="32")
    assert refused.value.code == "forbidden"
    with service.acting(people["lea"]) as lea:
        principals.approve_membership(lea, "carla", department="32")
    with service.acting(people["carla"]) as carla:
        assert principals.get_principal(carla, "carla").memberships[0].role == "lead"


def test_a_department_without_a_lead_takes_a_membership_at_once(service, people):
    """Amt 50 has no lead yet (DESIGN: or the department has no lead yet)."""
    with service.acting(people["admin"]) as admin:
        membership, created = principals.add_membership(
            admin, "anna", department="50", role=DepartmentRole.READER
        )
    assert created
    assert membership.state == "active"


def test_records_manager_grants_wait_for_another_records_manager(service, people, ports):
    add_person(service, people["admin"], "rolf")
    with service.acting(people["admin"]) as admin:
        grant, created = principals.grant_role(admin, "rolf", GlobalRole.RECORDS_MANAGER)
        assert created
        assert grant.state == "pending"
    rolf = service.token("rolf")
    with service.acting(rolf) as ctx, pytest.raises(AccessDeniedError) as refused:
        retention.list_due(ctx, as_of=None, limit=50, cursor=None)
    assert refused.value.code == "forbidden"
    with service.acting(people["admin"]) as admin:
        shown = principals.get_principal(admin, "rolf")
        pending = sorted(r.role for r in shown.roles if r.state == ApprovalState.PENDING)
        assert pending == ["records_manager"]

    records_manager = GlobalRole.RECORDS_MANAGER
    with service.acting(people["admin"]) as admin, pytest.raises(AccessDeniedError) as refused:
        principals.approve_role(admin, "rolf", records_manager)
    assert refused.value.code == "forbidden"
    with service.acting(rolf) as ctx, pytest.raises(AccessDeniedError):
        principals.approve_role(ctx, "rolf", records_manager)
    with service.acting(people["rita"]) as rita, pytest.raises(ConflictError):
        principals.approve_role(rita, "rolf", GlobalRole.AUDITOR)  # nothing waits
    with service.acting(people["rita"]) as rita:
        approved = principals.approve_role(rita, "rolf", records_manager)
        assert approved.approved_by == "rita"
    with service.acting(rolf) as ctx:
        retention.list_due(ctx, as_of=None, limit=50, cursor=None)
    assert [e.actor for e in audit_events(ports, action="role.approve", outcome="allowed")] == [
        "rita"
    ]


def test_admin_and_records_manager_are_never_one_person(service, people):
    with service.acting(people["admin"]) as admin, pytest.raises(SeparationOfDutiesError):
        principals.grant_role(admin, "rita", GlobalRole.ADMIN)
    with service.acting(people["admin"]) as admin:
        _grant, created = principals.grant_role(admin, "lea", GlobalRole.ADMIN)
        assert created
    with service.acting(people["admin"]) as admin, pytest.raises(SeparationOfDutiesError):
        principals.grant_role(admin, "lea", GlobalRole.RECORDS_MANAGER)
