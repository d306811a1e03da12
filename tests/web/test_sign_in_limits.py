"""Failed sign-ins per client address: one machine trying many usernames gets 429s,
but the right password always gets through (many people share a town hall's address)."""

from __future__ import annotations

import dataclasses

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from eakte.config import Settings
from eakte.services import passwords as passwords_service
from tests.helpers import audit_events
from tests.web.support import PASSWORD, csrf, sign_in

WINDOW = 900  # seconds


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(
        settings, sign_in_failures_per_address=3, auth_failure_window_seconds=WINDOW
    )


@pytest.fixture
def passwords(town) -> None:
    for username in ("anna", "ben", "carla"):
        passwords_service.set_password(town.system, username, PASSWORD)


def browser_at(app, address: str):
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = address
    return browser


def test_one_address_trying_many_usernames_is_stopped(app, ports, clock, passwords) -> None:
    clock.set(clock())
    attacker = browser_at(app, "203.0.113.5")
    for username in ("anna", "ben", "carla"):  # one guess each: no account reaches its lockout
        assert sign_in(attacker, username, "Sommer-2026-Sommer").status_code == 401
    refused = sign_in(attacker, "ben", "Winter-2026-Winter")
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
    assert sign_in(attacker, "carla", "Herbst-2026-Herbst").status_code == 401


def test_the_right_password_gets_through_from_an_address_over_its_limit(
    app,
    ports,
    passwords,
) -> None:
    """The town hall's one address: a colleague mistyping must not lock out the others."""
    office = browser_at(app, "10.32.0.1")
    for username in ("anna", "ben", "carla"):
        assert sign_in(office, username, "Tippfehler-Tippfehler").status_code == 401
    assert sign_in(office, "carla", "Tippfehler-Tippfehler").status_code == 429
    assert sign_in(office, "anna", "Tippfehler-nochmal").status_code == 429
    signed_in = sign_in(office, "ben", PASSWORD)
    assert signed_in.status_code == 302
    assert office.get("/akten").status_code == 200
    assert [e.details for e in audit_events(ports, action="auth.sign_in", actor="ben")][-1] == {
        "method": "password"
    }
    assert sign_in(browser_at(app, "10.32.0.1"), "anna", "Tippfehler-dritter").status_code == 429


class CountingHasher:
    """The real argon2 hasher, counting which hashes were verified against."""

    def __init__(self, real: PasswordHasher) -> None:
        self.real = real
        self.verified: list[str] = []

    def verify(self, password_hash: str, password: str) -> bool:
        self.verified.append(password_hash)
        return self.real.verify(password_hash, password)

    def __getattr__(self, name: str) -> object:
        return getattr(self.real, name)


def test_a_locked_account_costs_one_argon2_verification_like_any_other(
    app,
    ports,
    monkeypatch,
    passwords,
) -> None:
    """A locked account must not answer faster than an unlocked one (that would tell which
    usernames exist and are locked): every refusal runs exactly one argon2 verification."""
    from eakte.models import Principal

    with ports.session_factory() as session:
        anna_hash = session.scalar(select(Principal.password_hash).filter_by(username="anna"))
    hasher = CountingHasher(passwords_service.HASHER)
    monkeypatch.setattr(passwords_service, "HASHER", hasher)

    addresses = (f"10.32.1.{n}" for n in range(1, 255))  # no address reaches its own limit

    def attempts(username: str, password: str, status: int) -> list[str]:
        hasher.verified.clear()
        browser = browser_at(app, next(addresses))
        assert sign_in(browser, username, password).status_code == status
        return list(hasher.verified)

    assert attempts("niemand", PASSWORD, 401) == [passwords_service._dummy_hash()]
    for _ in range(5):
        assert attempts("anna", "Sommer-2026-Sommer", 401) == [anna_hash]
    # Locked now: refused whatever the password, after the same argon2 work on her hash.
    assert attempts("anna", "Sommer-2026-Sommer", 401) == [anna_hash]
    assert attempts("anna", PASSWORD, 401) == [anna_hash]
    refusals = audit_events(ports, action="auth.sign_in", outcome="denied")
    assert refusals[-1].details == {"reason": "locked after repeated failures"}


def test_successful_sign_ins_are_not_counted(app, passwords) -> None:
    """A shared counter in the town hall: many people sign in from one address."""
    office = browser_at(app, "10.32.0.1")
    for _ in range(6):
        assert sign_in(office, "anna", PASSWORD).status_code == 302
        form = office.get("/akten").get_data(as_text=True)
        assert office.post("/abmelden", data={"csrf": csrf(form)}).status_code == 302
    assert sign_in(office, "ben", "Tippfehler-Tippfehler").status_code == 401
    assert sign_in(office, "ben", PASSWORD).status_code == 302


def test_the_account_lockout_still_holds_across_addresses(app, clock, passwords) -> None:
    """Rotating addresses does not help against one account: its own lockout is in the
    database, shared by every address and every app node."""
    for n in range(5):
        rotating = browser_at(app, f"198.51.100.{n}")
        assert sign_in(rotating, "anna", "Sommer-2026-Sommer").status_code == 401
    fresh = browser_at(app, "198.51.100.200")
    assert sign_in(fresh, "anna", PASSWORD).status_code == 401  # locked, not throttled
    clock.advance(minutes=16)
    assert sign_in(fresh, "anna", PASSWORD).status_code == 302
