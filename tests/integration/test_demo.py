"""`eakte demo` only on a fresh instance: its password is public and one of its users is admin."""

from __future__ import annotations

import sqlalchemy as sa

from eakte.services.demo import DEMO_PASSWORD
from tests.integration.support import eakte


def _rows(env: dict[str, str]) -> dict[str, int]:
    engine = sa.create_engine(env["EAKTE_DATABASE_URL"])
    try:
        with engine.connect() as connection:
            return {
                table: connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in ("principal", "department", "case_file", "api_token")
            }
    finally:
        engine.dispose()


def test_the_demo_says_its_password_is_public(instance_env):
    result = eakte(instance_env, "demo")
    assert result.returncode == 0, result.stderr
    assert DEMO_PASSWORD in result.stdout
    assert "This password is public" in result.stdout
    assert "never on an instance with real records" in result.stdout


def test_the_demo_refuses_an_instance_with_other_principals(instance_env):
    added = eakte(instance_env, "principal", "add", "k.mueller", "--display-name", "K. Müller")
    assert added.returncode == 0, added.stderr
    before = _rows(instance_env)
    refused = eakte(instance_env, "demo")
    assert refused.returncode == 1
    assert refused.stdout == ""
    [line] = refused.stderr.strip().splitlines()
    assert "only on a fresh instance" in line and "1 principal(s) besides 'admin'" in line
    assert "nothing was changed" in line
    assert _rows(instance_env) == before
    assert DEMO_PASSWORD not in refused.stderr


def test_the_demo_refuses_a_service_account_too(instance_env):
    assert eakte(instance_env, "principal", "add", "fachverfahren", "--service").returncode == 0
    refused = eakte(instance_env, "demo")
    assert refused.returncode == 1 and "only on a fresh instance" in refused.stderr
