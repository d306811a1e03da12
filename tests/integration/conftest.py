"""Fixtures of the integration tests."""

from __future__ import annotations

import pytest

from tests.integration.support import eakte, operator_env


@pytest.fixture
def instance_env(tmp_path, database_url):
    env = operator_env(tmp_path / "instance", database_url)
    result = eakte(env, "init")
    assert result.returncode == 0, result.stderr
    env["ADMIN_TOKEN"] = result.stdout.strip()
    return env
