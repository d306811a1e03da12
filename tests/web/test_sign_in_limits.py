"""Failed sign-ins per client address: one machine cannot try many usernames."""

from __future__ import annotations

import dataclasses

import pytest

from eakte.config import Settings
from tests.helpers import audit_events
from tests.web.test_sign_in import PASSWORD, csrf, sign_in

WINDOW = 900  # seconds


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(
        settings, sign_in_failures_per_address=3, auth_failure_window_seconds=WINDOW
    )


@pytest.fixture
def passwords(town) -> None:  # noqa: ANN001
    for username in ("anna", "ben", "carla"):
        response = town.admin.post(f"/principals/{username}/password", {"password": PASSWORD})
        assert response.status_code == 204


def browser_at(app, address: str):  # noqa: ANN001, ANN201
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = address
    return browser


def test_one_address_trying_many_usernames_is_stopped(app, ports, clock, passwords) -> None:  # noqa: ANN001
    clock.set(clock())
    attacker = browser_at(app, "203.0.113.5")
    for username in ("anna", "ben", "carla"):  # one guess each: no account reaches its lockout
        assert sign_in(attacker, username, "Sommer-2026-Sommer").status_code == 401
    refused = sign_in(attacker, "anna", PASSWORD)  # even the right password
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "Zu viele Versuche" in page and 'lang="de"' in page
    assert int(refused.headers["Retry-After"]) == WINDOW
    assert refused.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert not any(c.startswith("eakte_sitzung=") for c in refused.headers.getlist("Set-Cookie"))
    assert attacker.get("/akten").status_code == 302  # still signed out

    [event] = [
        e
        for e in audit_events(ports, action="auth.sign_in", outcome="denied")
        if e.details == {"reason": "too-many-requests"}
    ]
    assert event.client_address == "203.0.113.5"
    assert PASSWORD not in str(event.details)

    # Anna at her own desk is not locked out by someone else's guessing.
    desk = browser_at(app, "10.32.0.17")
    assert sign_in(desk, "anna", PASSWORD).status_code == 302
    assert desk.get("/akten").status_code == 200

    clock.advance(seconds=WINDOW + 1)
    assert sign_in(attacker, "anna", PASSWORD).status_code == 302


def test_successful_sign_ins_are_not_counted(app, passwords) -> None:  # noqa: ANN001
    """A shared counter in the town hall: many people sign in from one address."""
    office = browser_at(app, "10.32.0.1")
    for _ in range(6):
        assert sign_in(office, "anna", PASSWORD).status_code == 302
        form = office.get("/akten").get_data(as_text=True)
        assert office.post("/abmelden", data={"csrf": csrf(form)}).status_code == 302
    assert sign_in(office, "ben", "Tippfehler-Tippfehler").status_code == 401
    assert sign_in(office, "ben", PASSWORD).status_code == 302


def test_the_account_lockout_still_holds_across_addresses(app, clock, passwords) -> None:  # noqa: ANN001
    """Rotating addresses does not help against one account: its own lockout is in the
    database, shared by every address and every app node."""
    for n in range(5):
        rotating = browser_at(app, f"198.51.100.{n}")
        assert sign_in(rotating, "anna", "Sommer-2026-Sommer").status_code == 401
    fresh = browser_at(app, "198.51.100.200")
    assert sign_in(fresh, "anna", PASSWORD).status_code == 401  # locked, not throttled
    clock.advance(minutes=16)
    assert sign_in(fresh, "anna", PASSWORD).status_code == 302
