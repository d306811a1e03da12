"""A small client for the REST API, and a municipality to test against."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient


class ApiClient:
    """Calls /api/v1 as one principal."""

    def __init__(self, client: FlaskClient, token: str | None) -> None:
        self.client = client
        self.token = token

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        headers.update(extra or {})
        return headers

    def get(self, path: str, **kw: Any):
        return self.client.get(
            "/api/v1" + path, headers=self._headers(kw.pop("headers", None)), **kw
        )

    def post(self, path: str, json: Any = None, **kw: Any):
        return self.client.post(
            "/api/v1" + path, json=json, headers=self._headers(kw.pop("headers", None)), **kw
        )

    def patch(self, path: str, json: Any = None, **kw: Any):
        return self.client.patch(
            "/api/v1" + path, json=json, headers=self._headers(kw.pop("headers", None)), **kw
        )

    def delete(self, path: str, **kw: Any):
        return self.client.delete(
            "/api/v1" + path, headers=self._headers(kw.pop("headers", None)), **kw
        )


def assert_problem(response: Any, status: int, code: str | None = None) -> dict:
    """The answer is an RFC 9457 problem with this status (and stable type)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    for key in ("type", "title", "status", "detail", "instance"):
        assert key in body, key
    assert body["status"] == status
    if code is not None:
        assert body["type"] == f"urn:eakte:problem:{code}"
    return body


def table_counts(ports: Any) -> dict[str, int]:
    """Rows per domain table (the audit log excluded): to show that nothing was written."""
    from eakte.db import Base

    with ports.session_factory() as session:
        return {
            table.name: session.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in Base.metadata.sorted_tables
            if table.name != "audit_event"
        }


def audit_events(ports: Any, **filters: Any) -> list[Any]:
    from eakte.models import AuditEvent

    with ports.session_factory() as session:
        stmt = sa.select(AuditEvent).order_by(AuditEvent.id)
        for key, value in filters.items():
            stmt = stmt.where(getattr(AuditEvent, key) == value)
        return list(session.scalars(stmt))


LONG_AGO_YEARS = 12  # longer than any retention period of the test file plans


@contextmanager
def years_ago(app_or_client: Any, years: int = LONG_AGO_YEARS) -> Iterator[None]:
    """Run the block `years` back by the app's clock (time still moves), then return.

    Files closed in it are due today: nothing needs a retention run with a day
    after today, which the run refuses and execution would not act on. Takes the
    app, its test client or (in the service tier) the ports themselves.
    """
    owner = getattr(app_or_client, "application", app_or_client)
    ports = owner.extensions["eakte"] if hasattr(owner, "extensions") else owner
    real = ports.clock
    now = real()
    shift = now - now.replace(year=now.year - years, day=min(now.day, 28))
    ports.clock = lambda: real() - shift
    try:
        yield
    finally:
        ports.clock = real


def backdate_closing(
    engine: sa.Engine, case_file_ids: list[str], years: int = LONG_AGO_YEARS
) -> None:
    """As if the files had been closed `years` earlier: for servers in their own processes,
    whose clock a test cannot move (in-process tests use `years_ago`)."""
    import uuid

    from sqlalchemy.orm import Session

    from eakte.models import CaseFile

    with Session(engine) as session, session.begin():
        for case_file_id in case_file_ids:
            case_file = session.get(CaseFile, uuid.UUID(case_file_id))
            closed, until = case_file.closed_at, case_file.retain_until
            case_file.closed_at = closed.replace(year=closed.year - years, day=min(closed.day, 28))
            case_file.retain_until = until.replace(year=until.year - years)
