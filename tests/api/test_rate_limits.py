"""Rate limits on bearer tokens: failures per client address → 429, audited; success is free.

A valid token is never refused by the failure limit: many clients share one address
(a town hall's NAT, an integration host), and one of them failing must not lock out
the others.
"""

from __future__ import annotations

import dataclasses

import pytest

from eakte.config import Settings
from eakte.errors import ConfigError
from tests.helpers import ApiClient, assert_problem, audit_events

WINDOW = 600  # seconds
BAD = {"Authorization": "Bearer eakte_guessed-token-0000000000000000000000000000"}


@pytest.fixture
def limits() -> dict:
    """Small limits so a test reaches them in a few requests (parametrize to change)."""
    return {"token_failures_per_address": 3, "auth_failure_window_seconds": WINDOW}


@pytest.fixture
def settings(settings: Settings, limits: dict) -> Settings:
    return dataclasses.replace(settings, **limits)


def from_address(client, address: str):
    """The same app seen from another machine."""
    other = client.application.test_client()
    other.environ_base["REMOTE_ADDR"] = address
    return other


def assert_throttled(response, *, retry_after: int | None = None) -> dict:
    body = assert_problem(response, 429, "too-many-requests")
    seconds = int(response.headers["Retry-After"])
    assert 1 <= seconds <= 900
    if retry_after is not None:
        assert seconds == retry_after
    assert BAD["Authorization"].split()[1] not in response.get_data(as_text=True)
    return body


def test_failed_tokens_from_one_address_are_stopped_with_429(
    client,
    admin_token,
    ports,
    clock,
) -> None:
    clock.set(clock())
    admin = ApiClient(client, admin_token)
    for _ in range(3):
        assert_problem(client.get("/api/v1/departments", headers=BAD), 401)
    throttled = client.get("/api/v1/departments", headers=BAD)
    assert_throttled(throttled, retry_after=WINDOW)
    # A valid token from the same address is not refused: the limit is on failing.
    assert admin.get("/departments").status_code == 200
    assert_throttled(client.get("/api/v1/departments"))  # no token at all is a failure too
    # Another machine is not affected, neither its good nor its bad tokens.
    elsewhere = from_address(client, "192.0.2.7")
    assert ApiClient(elsewhere, admin_token).get("/departments").status_code == 200
    assert_problem(elsewhere.get("/api/v1/departments", headers=BAD), 401)

    refused = [
        e
        for e in audit_events(ports, action="auth.token", outcome="denied")
        if e.details == {"reason": "too-many-requests"}
    ]
    assert len(refused) == 2
    assert refused[0].request_id == throttled.headers["X-Request-Id"]
    assert refused[0].client_address == "127.0.0.1"
    # The failure itself is on record too, under the same request id.
    failed = audit_events(ports, action="auth.token", outcome="denied")
    assert [e.details["reason"] for e in failed if e.request_id == refused[0].request_id] == [
        "unauthenticated",
        "too-many-requests",
    ]

    clock.advance(seconds=WINDOW + 1)
    assert_problem(client.get("/api/v1/departments", headers=BAD), 401)


def test_the_window_slides_rather_than_resetting(client, clock) -> None:
    clock.set(clock())
    for _ in range(3):
        assert_problem(client.get("/api/v1/departments", headers=BAD), 401)
        clock.advance(seconds=200)
    # failures at 0, 200, 400 s; now 600 s: the first has just left the window.
    assert_problem(client.get("/api/v1/departments", headers=BAD), 401)
    # failures at 200, 400, 600: free again when the one at 200 leaves, at 800 s.
    assert_throttled(client.get("/api/v1/departments", headers=BAD), retry_after=200)
    clock.advance(seconds=199)
    assert_throttled(client.get("/api/v1/departments", headers=BAD), retry_after=1)
    clock.advance(seconds=1)
    assert_problem(client.get("/api/v1/departments", headers=BAD), 401)


def test_successful_use_is_never_counted(client, admin_token) -> None:
    admin = ApiClient(client, admin_token)
    assert_problem(client.get("/api/v1/departments", headers=BAD), 401)
    assert_problem(client.get("/api/v1/departments"), 401)  # no header counts as a failure
    for _ in range(150):  # an integrating app's busy minute, all from 127.0.0.1
        assert admin.get("/departments").status_code == 200
    assert_problem(client.get("/api/v1/departments", headers=BAD), 401)  # the 3rd failure
    assert_throttled(client.get("/api/v1/departments", headers=BAD))


def test_forwarded_for_headers_do_not_buy_new_attempts(client) -> None:
    """Without EAKTE_PROXY_COUNT the caller's own X-Forwarded-For is not believed."""
    for n in range(3):
        headers = {**BAD, "X-Forwarded-For": f"198.51.100.{n}"}
        assert_problem(client.get("/api/v1/departments", headers=headers), 401)
    spoofed = {**BAD, "X-Forwarded-For": "198.51.100.99"}
    assert_throttled(client.get("/api/v1/departments", headers=spoofed))


def test_ipv6_addresses_count_per_64(client, admin_token) -> None:
    for n in range(3):
        neighbour = from_address(client, f"2001:db8:1:2::{n + 1}")
        assert_problem(neighbour.get("/api/v1/departments", headers=BAD), 401)
    same_64 = from_address(client, "2001:db8:1:2:ffff::9")
    assert_throttled(same_64.get("/api/v1/departments", headers=BAD))
    other_64 = from_address(client, "2001:db8:1:3::1")
    assert ApiClient(other_64, admin_token).get("/departments").status_code == 200


@pytest.mark.parametrize("limits", [{"api_requests_per_minute": 5}], ids=["5-requests-per-minute"])
def test_an_optional_limit_on_all_requests_per_address(
    client,
    admin_token,
    ports,
    clock,
) -> None:
    clock.set(clock())
    admin = ApiClient(client, admin_token)
    for _ in range(5):
        assert admin.get("/departments").status_code == 200
    throttled = admin.get("/departments")
    body = assert_problem(throttled, 429, "too-many-requests")
    assert int(throttled.headers["Retry-After"]) == 60
    assert "try again" in body["detail"]
    [event] = audit_events(ports, action="api.request", outcome="denied")
    assert event.actor == "anonymous" and event.details == {"reason": "too-many-requests"}
    assert client.get("/api/v1/health").status_code == 200  # probes are never limited
    clock.advance(seconds=61)
    assert admin.get("/departments").status_code == 200


@pytest.mark.parametrize("limits", [{"token_failures_per_address": 0}], ids=["token-limit-off"])
def test_a_limit_of_zero_switches_it_off(client) -> None:
    for _ in range(60):
        assert_problem(client.get("/api/v1/departments", headers=BAD), 401)


@pytest.mark.parametrize("limits", [{}], ids=["defaults"])
def test_the_defaults_stop_guessing_but_not_busy_integrations(
    client,
    admin_token,
) -> None:
    admin = ApiClient(client, admin_token)
    for _ in range(120):
        assert admin.get("/departments").status_code == 200
    for _ in range(50):  # EAKTE_TOKEN_FAILURES_PER_ADDRESS=50 within 15 minutes
        assert_problem(client.get("/api/v1/departments", headers=BAD), 401)
    throttled = client.get("/api/v1/departments", headers=BAD)
    assert_problem(throttled, 429, "too-many-requests")
    assert int(throttled.headers["Retry-After"]) <= 900


@pytest.mark.parametrize("limits", [{}], ids=["defaults"])
def test_valid_tokens_pass_from_an_address_that_has_just_failed_200_times(
    client,
    admin_token,
) -> None:
    """A town hall behind one NAT: a misconfigured app keeps failing, everyone else works."""
    for _ in range(200):
        assert client.get("/api/v1/departments", headers=BAD).status_code in (401, 429)
    assert_throttled(client.get("/api/v1/departments", headers=BAD))
    admin = ApiClient(client, admin_token)
    for _ in range(100):
        assert admin.get("/departments").status_code == 200
    assert_throttled(client.get("/api/v1/departments", headers=BAD))


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("EAKTE_TOKEN_FAILURES_PER_ADDRESS", "-1"),
        ("EAKTE_SIGN_IN_FAILURES_PER_ADDRESS", "viele"),
        ("EAKTE_AUTH_FAILURE_WINDOW_SECONDS", "0"),
        ("EAKTE_API_REQUESTS_PER_MINUTE", "1e3"),
    ],
)
def test_a_bad_limit_stops_start_up_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({variable: value})
    assert caught.value.variable == variable
