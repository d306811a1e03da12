"""Signing in to the web client: passwords, lockout, session cookie, CSRF, timeout, sign-out."""

from __future__ import annotations

import subprocess
import sys

import pytest

from eakte.services import passwords
from tests.helpers import assert_problem, audit_events
from tests.web.support import PASSWORD, csrf, sign_in


@pytest.fixture
def browser(app):
    return app.test_client()


@pytest.fixture
def anna_password(town) -> str:
    """Set by the operator (`eakte password set`): one an admin sets is only temporary."""
    passwords.set_password(town.system, "anna", PASSWORD)
    return PASSWORD


def test_signing_in_opens_meine_akten_with_a_safe_cookie(town, browser, anna_password) -> None:
    mine = town.case_file(title="Gaststättenerlaubnis Hirschwirt")
    theirs = town.case_file(town.ben, file_plan="50.30", department="50", title="Wohngeld Winter")
    response = sign_in(browser, "anna", anna_password)
    assert response.status_code == 302
    assert response.headers["Location"] == "/akten"
    cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("eakte_sitzung=")
    )
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    page = browser.get("/akten").get_data(as_text=True)
    assert "Meine Akten" in page and mine["reference"] in page
    assert "Gaststättenerlaubnis Hirschwirt" in page
    assert theirs["reference"] not in page and "Wohngeld Winter" not in page
    assert 'lang="de"' in page


def test_behind_https_the_cookie_is_secure(town, browser, anna_password) -> None:
    form = browser.get("/anmelden", base_url="https://eakte.example").get_data(as_text=True)
    response = browser.post(
        "/anmelden",
        base_url="https://eakte.example",
        data={"csrf": csrf(form), "benutzername": "anna", "passwort": anna_password},
    )
    cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("eakte_sitzung=")
    )
    assert "Secure" in cookie


def test_a_wrong_password_is_refused_in_german_and_audited(
    town, ports, browser, anna_password
) -> None:
    response = sign_in(browser, "anna", "falsch-falsch-falsch")
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "Benutzername oder Passwort ist falsch" in page
    assert browser.get("/akten").status_code == 302  # still signed out
    denied = [e for e in audit_events(ports, action="auth.sign_in") if e.outcome == "denied"]
    assert denied[-1].object_id == "anna"
    assert "falsch" not in str(denied[-1].details)  # never the password


def test_five_failures_lock_the_account_even_for_the_right_password(
    town,
    browser,
    clock,
    anna_password,
) -> None:
    for _ in range(5):
        assert sign_in(browser, "anna", "falsch-falsch-falsch").status_code == 401
    assert sign_in(browser, "anna", anna_password).status_code == 401
    clock.advance(minutes=16)
    assert sign_in(browser, "anna", anna_password).status_code == 302


def test_unknown_users_and_service_accounts_cannot_sign_in(town, browser) -> None:
    town.person("fachverfahren", kind="service")
    refused = town.admin.post("/principals/fachverfahren/password", {"password": PASSWORD})
    assert_problem(refused, 422)
    assert sign_in(browser, "niemand", PASSWORD).status_code == 401


def test_password_policy_and_admin_only(town) -> None:
    assert_problem(town.admin.post("/principals/anna/password", {"password": "kurz"}), 422)
    problem = assert_problem(
        town.admin.post("/principals/anna/password", {"password": "anna-anna-anna-anna"}), 422
    )
    assert "username" in problem["detail"]
    # Users change their own only with the current one; others' only an admin sets.
    assert_problem(town.anna.post("/principals/anna/password", {"password": PASSWORD}), 422)
    assert_problem(town.anna.post("/principals/ben/password", {"password": PASSWORD}), 403)


def test_forms_without_the_csrf_token_are_refused(town, browser, anna_password) -> None:
    refused = browser.post("/anmelden", data={"benutzername": "anna", "passwort": anna_password})
    assert refused.status_code == 400
    assert "Formular" in refused.get_data(as_text=True)
    assert sign_in(browser, "anna", anna_password).status_code == 302
    assert browser.post("/abmelden", data={"csrf": "gefälscht"}).status_code == 400
    assert browser.get("/akten").status_code == 200  # still signed in


def test_sign_out_and_timeout_end_the_session(town, browser, clock, anna_password) -> None:
    sign_in(browser, "anna", anna_password)
    page = browser.get("/akten").get_data(as_text=True)
    out = browser.post("/abmelden", data={"csrf": csrf(page)})
    assert out.status_code == 302
    assert browser.get("/akten").status_code == 302
    sign_in(browser, "anna", anna_password)
    clock.advance(minutes=31)
    response = browser.get("/akten")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/anmelden")


def test_a_new_password_ends_the_users_sessions_but_not_others(
    town, app, anna_password, ports
) -> None:
    """Whoever signed in with the old password (perhaps why it was changed) is out."""
    anna_here, anna_there, lea = app.test_client(), app.test_client(), app.test_client()
    passwords.set_password(town.system, "lea", PASSWORD)
    for client, username in ((anna_here, "anna"), (anna_there, "anna"), (lea, "lea")):
        assert sign_in(client, username, PASSWORD).status_code == 302
        assert client.get("/akten").status_code == 200

    new = "Rathausplatz-Winter-2027"
    assert town.admin.post("/principals/anna/password", {"password": new}).status_code == 204

    for client in (anna_here, anna_there):
        response = client.get("/akten")
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/anmelden")
    assert lea.get("/akten").status_code == 200
    event = audit_events(ports, action="principal.password_set", object_id="anna")[-1]
    assert event.details | {"token_issued_by": None} == {
        "temporary": True,
        "sessions_ended": 2,
        "tokens_revoked": 1,
        "token_issued_by": None,
    }
    assert sign_in(anna_here, "anna", new).status_code == 302
    # The admin's password is temporary: the next page is the password change.
    assert anna_here.get("/akten").headers["Location"] == "/passwort"


def test_after_an_admins_reset_nothing_works_until_the_user_chose_a_new_password(
    town, browser, ports
) -> None:
    case_file = town.case_file()
    temporary = "Vorlaeufig-Rathaus-1"
    assert town.admin.post("/principals/anna/password", {"password": temporary}).status_code == 204
    assert sign_in(browser, "anna", temporary).status_code == 302
    for page in ("/akten", f"/akten/{case_file['id']}", "/suche?q=Gewerbe"):
        response = browser.get(page)
        assert (response.status_code, response.headers["Location"]) == (302, "/passwort")
    form = browser.get("/passwort")
    text = form.get_data(as_text=True)
    assert "zurückgesetzt" in text and "admin" in text  # told who reset it
    token = csrf(text)
    wrong = browser.post(
        "/passwort",
        data={
            "csrf": token,
            "aktuell": "falsch-falsch",
            "neu": "Eigenes-Passwort-42",
            "wiederholung": "Eigenes-Passwort-42",
        },
    )
    assert wrong.status_code == 422 and "stimmt nicht" in wrong.get_data(as_text=True)
    done = browser.post(
        "/passwort",
        data={
            "csrf": token,
            "aktuell": temporary,
            "neu": "Eigenes-Passwort-42",
            "wiederholung": "Eigenes-Passwort-42",
        },
    )
    assert done.status_code == 302
    assert browser.get(f"/akten/{case_file['id']}").status_code == 200
    assert town.admin.get("/principals/anna").get_json()["password_temporary"] is False
    assert audit_events(ports, action="principal.password_change", outcome="allowed")


def test_after_sign_in_the_user_returns_to_where_they_were_but_never_offsite(
    town,
    browser,
    anna_password,
) -> None:
    assert browser.get("/akten?status=open").headers["Location"].startswith("/anmelden?weiter=")
    form = browser.get("/anmelden").get_data(as_text=True)
    data = {"csrf": csrf(form), "benutzername": "anna", "passwort": anna_password}
    back = browser.post("/anmelden", data={**data, "weiter": "/akten?status=open"})
    assert back.headers["Location"] == "/akten?status=open"
    browser.post("/abmelden", data={"csrf": csrf(browser.get("/akten").get_data(as_text=True))})
    form = browser.get("/anmelden").get_data(as_text=True)
    offsite = browser.post(
        "/anmelden", data={**data, "csrf": csrf(form), "weiter": "//evil.example/phish"}
    )
    assert offsite.headers["Location"] == "/akten"


def test_pages_answer_german_errors_and_the_api_keeps_problem_json(browser, client) -> None:
    missing = browser.get("/gibt-es-nicht")
    assert missing.status_code == 404
    assert missing.mimetype == "text/html"
    assert "Nicht gefunden" in missing.get_data(as_text=True)
    assert_problem(client.get("/api/v1/gibt-es-nicht"), 404)


def test_eakte_password_set_reads_standard_input(town, settings, browser) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("EAKTE_")}
    env.update(
        EAKTE_INSTANCE_PATH=str(settings.instance_path), EAKTE_DATABASE_URL=settings.database_url
    )
    result = subprocess.run(
        [sys.executable, "-m", "eakte", "password", "set", "carla"],
        input=PASSWORD + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    assert sign_in(browser, "carla", PASSWORD).status_code == 302
