"""Retention decisions at the level of the use cases: the clock, the due list, a
proposal that keeps a file closed.

Moved here from tests/api/test_retention.py, whose other tests are about what a
caller sees over HTTP.
"""

from __future__ import annotations

import datetime as dt

import pytest

from eakte.errors import AccessDeniedError, ConflictError, DispositionPendingError, NotFoundError
from eakte.services import case_files, retention
from tests.helpers import years_ago


def closed_file(service, people, ports, title: str = "Wohngeldantrag Familie Sommer"):
    """A closed Wohngeld file of department 50 (file plan 50.30: 6 years, then destroy),
    made and closed 12 years ago (due today); as tests/api/support.closed_file, without
    its document."""
    with years_ago(ports), service.acting(people["ben"]) as ben:
        case_file = case_files.create_case_file(
            ben, file_plan="50.30", department="50", title=title
        )
        return case_files.close_case_file(ben, case_file.id)


def test_closing_sets_the_retention_date_and_reopening_clears_it(service, people, ports):
    closed = closed_file(service, people, ports)
    assert closed.retain_until == dt.date(closed.closed_at.year + 6, 12, 31)
    with service.acting(people["ben"]) as ben:
        reopened = case_files.reopen_case_file(ben, closed.id)
        assert reopened.status == "open"
        assert reopened.retain_until is None
    with service.acting(people["ben"]) as ben, pytest.raises(ConflictError):
        case_files.reopen_case_file(ben, closed.id)
    with service.acting(people["anna"]) as anna, pytest.raises(NotFoundError):
        case_files.reopen_case_file(anna, closed.id)


def test_due_list_follows_the_date(service, people, ports):
    closed = closed_file(service, people, ports)
    retain = closed.retain_until
    with service.acting(people["rita"]) as rita:
        before = retention.list_due(rita, as_of=retain, limit=50, cursor=None)
        assert before.items == []
        after = retention.list_due(rita, as_of=retain + dt.timedelta(days=1), limit=50, cursor=None)
        [item] = after.items
        assert item.case_file.reference == closed.reference
        assert item.held is False and item.proposed is False
    with service.acting(people["ben"]) as ben, pytest.raises(AccessDeniedError):
        retention.list_due(ben, as_of=None, limit=50, cursor=None)


def test_a_file_in_a_proposal_cannot_be_reopened(service, people, ports):
    closed = closed_file(service, people, ports)
    as_of = closed.retain_until + dt.timedelta(days=1)
    with service.acting() as system:
        retention.run_retention(system, as_of=as_of)
    with service.acting(people["ben"]) as ben, pytest.raises(DispositionPendingError) as refused:
        case_files.reopen_case_file(ben, closed.id)
    assert refused.value.code == "disposition-pending"
    assert "disposition proposal" in refused.value.detail
    with service.acting(people["ben"]) as ben:
        assert case_files.get_case_file(ben, closed.id).status == "closed"
