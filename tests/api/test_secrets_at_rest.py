"""The database keeps only hashes of tokens, session ids and passwords; logs keep none."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from eakte.db import Base
from eakte.services import passwords
from tests.web.support import PASSWORD, sign_in


def database_text(ports) -> str:
    """Every value of every row of every table, as one string to search in."""
    values = []
    with ports.session_factory() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(sa.select(table)):
                for value in row:
                    if isinstance(value, bytes):
                        values.append(value.decode("latin-1"))
                    elif value is not None:
                        values.append(str(value))
    return "\n".join(values)


def test_no_plain_token_session_id_or_password_is_stored_or_logged(
    app,
    town,
    ports,
    caplog,
) -> None:
    caplog.set_level(logging.DEBUG)
    passwords.set_password(town.system, "anna", PASSWORD)
    minted = town.anna.post("/principals/anna/tokens", {}).get_json()
    browser = app.test_client()
    signed_in = sign_in(browser, "anna", PASSWORD)
    assert signed_in.status_code == 302
    session_id = next(
        c.split(";", 1)[0].split("=", 1)[1]
        for c in signed_in.headers.getlist("Set-Cookie")
        if c.startswith("eakte_sitzung=")
    )
    assert browser.get("/akten").status_code == 200  # the cookie works
    assert (
        town.client.get(
            "/api/v1/case-files", headers={"Authorization": f"Bearer {minted['token']}"}
        ).status_code
        == 200
    )  # and so does the token

    stored = database_text(ports)
    secrets = {
        "admin token": town.admin.token,
        "anna's tokens": town.anna.token,
        "minted token": minted["token"],
        "session id": session_id,
        "password": PASSWORD,
    }
    for name, secret in secrets.items():
        assert len(secret) >= 12, name
        assert secret not in stored, f"{name} is stored in plain"
        assert secret not in caplog.text, f"{name} is in the log"
    assert "$argon2id$" in stored  # what is kept of the password
