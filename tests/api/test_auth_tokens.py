"""Bearer tokens: who gets in, who gets a 401, and what is (not) kept of a token."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import sqlalchemy as sa

from tests.helpers import ApiClient, assert_problem, audit_events, table_counts

CASE_FILE = {"file_plan": "32.10", "department": "32", "title": "Gewerbeanmeldung"}


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _assert_unauthenticated(response) -> dict:
    body = assert_problem(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    return body


def _new_token(who: ApiClient, username: str, **body) -> dict:
    response = who.post(f"/principals/{username}/tokens", body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.mark.parametrize(
    "authorization",
    [None, "Basic YW5uYTpnZWhlaW0=", "Bearer", "Bearer eakte_this-token-was-never-issued"],
    ids=["no-header", "basic-scheme", "empty-bearer", "unknown-token"],
)
def test_requests_without_a_valid_token_get_401_and_are_audited(town, client, ports, authorization):
    before = table_counts(ports)
    headers = {"Authorization": authorization} if authorization else {}

    listed = client.get("/api/v1/case-files", headers=headers)
    _assert_unauthenticated(listed)
    _assert_unauthenticated(client.post("/api/v1/case-files", json=CASE_FILE, headers=headers))

    assert table_counts(ports) == before
    denied = audit_events(ports, outcome="denied", action="auth.token")
    assert len(denied) == 2
    assert {event.actor for event in denied} == {"anonymous"}
    assert denied[0].request_id == listed.headers["X-Request-Id"]


def test_a_revoked_token_stops_working_at_once(town, ports):
    extra = _new_token(town.anna, "anna")
    assert ApiClient(town.client, extra["token"]).get("/case-files").status_code == 200

    assert town.anna.delete(f"/principals/anna/tokens/{extra['id']}").status_code == 204

    _assert_unauthenticated(ApiClient(town.client, extra["token"]).get("/case-files"))
    assert town.anna.get("/case-files").status_code == 200  # her other token still works
    [listed] = [
        t for t in town.anna.get("/principals/anna/tokens").get_json() if t["id"] == extra["id"]
    ]
    assert listed["revoked_at"] is not None
    [denied] = audit_events(ports, outcome="denied", action="auth.token")
    assert denied.object_id == "anna"


def test_a_token_expires_at_its_time(town, clock, ports):
    expires = clock() + dt.timedelta(hours=1)
    short = _new_token(town.anna, "anna", expires_at=_iso(expires))
    assert dt.datetime.fromisoformat(short["expires_at"]) == expires
    shortlived = ApiClient(town.client, short["token"])
    assert shortlived.get("/case-files").status_code == 200

    clock.advance(hours=2)

    _assert_unauthenticated(shortlived.get("/case-files"))
    assert town.anna.get("/case-files").status_code == 200
    [denied] = audit_events(ports, outcome="denied", action="auth.token")
    assert denied.object_id == "anna"


def test_a_token_answer_shows_the_token_once_with_its_expiry(town):
    created = _new_token(town.anna, "anna")

    assert created["token"]
    assert created["expires_at"] is not None
    assert dt.datetime.fromisoformat(created["expires_at"]) > dt.datetime.now(dt.UTC)
    assert ApiClient(town.client, created["token"]).get("/principals/anna").status_code == 200


def test_a_token_cannot_be_created_already_expired(town, ports):
    before = table_counts(ports)
    response = town.anna.post("/principals/anna/tokens", {"expires_at": "2001-01-01T00:00:00Z"})
    assert_problem(response, 422, "invalid-input")
    assert table_counts(ports) == before


def test_users_manage_their_own_tokens(town):
    first = _new_token(town.ben, "ben")
    second = _new_token(town.ben, "ben")

    listed = town.ben.get("/principals/ben/tokens")
    assert listed.status_code == 200
    ids = [t["id"] for t in listed.get_json()]
    assert {first["id"], second["id"]} <= set(ids)

    assert town.ben.delete(f"/principals/ben/tokens/{first['id']}").status_code == 204
    _assert_unauthenticated(ApiClient(town.client, first["token"]).get("/case-files"))
    assert ApiClient(town.client, second["token"]).get("/case-files").status_code == 200


def test_users_cannot_touch_another_users_tokens(town, ports):
    annas = _new_token(town.anna, "anna")
    before = table_counts(ports)

    assert_problem(town.ben.get("/principals/anna/tokens"), 403, "forbidden")
    assert_problem(town.ben.post("/principals/anna/tokens", {}), 403, "forbidden")
    assert_problem(town.ben.delete(f"/principals/anna/tokens/{annas['id']}"), 403, "forbidden")

    assert table_counts(ports) == before
    assert ApiClient(town.client, annas["token"]).get("/case-files").status_code == 200
    for action in ("token.list", "token.create", "token.revoke"):
        [denied] = audit_events(ports, outcome="denied", action=action)
        assert (denied.actor, denied.object_id) == ("ben", "anna")


def test_a_user_cannot_revoke_another_users_token_through_their_own_path(town):
    annas = _new_token(town.anna, "anna")

    assert_problem(town.ben.delete(f"/principals/ben/tokens/{annas['id']}"), 404, "not-found")
    assert ApiClient(town.client, annas["token"]).get("/case-files").status_code == 200


def test_the_admin_manages_everyones_tokens(town):
    annas = _new_token(town.anna, "anna")

    assert annas["id"] in [t["id"] for t in town.admin.get("/principals/anna/tokens").get_json()]
    assert town.admin.delete(f"/principals/anna/tokens/{annas['id']}").status_code == 204
    _assert_unauthenticated(ApiClient(town.client, annas["token"]).get("/case-files"))


def test_listed_tokens_never_show_the_secret_or_its_hash(town):
    created = _new_token(town.anna, "anna")

    response = town.anna.get("/principals/anna/tokens")
    text = response.get_data(as_text=True)
    assert created["token"] not in text
    assert hashlib.sha256(created["token"].encode()).hexdigest() not in text
    for item in response.get_json():
        assert set(item) == {
            "id",
            "issued_by",
            "created_at",
            "expires_at",
            "revoked_at",
            "last_used_at",
        }


def test_plain_tokens_are_stored_nowhere_in_the_database(town, ports):
    created = _new_token(town.anna, "anna")
    ApiClient(town.client, created["token"]).get("/case-files")  # used once: last_used_at, audit

    from eakte.db import Base

    with ports.session_factory() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(sa.select(table)).all():
                assert created["token"] not in repr(tuple(row)), table.name
        stored = session.execute(sa.text("SELECT token_hash FROM api_token")).scalars().all()
    assert hashlib.sha256(created["token"].encode()).hexdigest() in stored


def test_service_accounts_authenticate_like_users(town, ports):
    portal = town.person("buergerportal", member=("32", "clerk"), kind="service")

    me = portal.get("/principals/buergerportal")
    assert me.status_code == 200
    assert me.get_json()["kind"] == "service"
    created = portal.post("/case-files", CASE_FILE)
    assert created.status_code == 201
    assert created.get_json()["created_by"] == "buergerportal"
    [event] = audit_events(ports, action="case_file.create")
    assert (event.actor, event.outcome) == ("buergerportal", "allowed")

    own = _new_token(portal, "buergerportal")
    assert portal.delete(f"/principals/buergerportal/tokens/{own['id']}").status_code == 204
    _assert_unauthenticated(ApiClient(town.client, own["token"]).get("/case-files"))


@pytest.mark.parametrize("path", ["/health", "/health/ready", "/openapi.json"])
def test_public_endpoints_need_no_token(client, path):
    response = client.get("/api/v1" + path)
    assert response.status_code == 200
    assert "WWW-Authenticate" not in response.headers


def test_everything_else_needs_a_token(client, admin_token):
    for path in (
        "/departments",
        "/principals",
        "/file-plan",
        "/case-files",
        "/principals/admin/tokens",
    ):
        _assert_unauthenticated(client.get("/api/v1" + path))
