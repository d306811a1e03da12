"""Browsers signed in to the web client, for the page tests."""

from __future__ import annotations

import pytest

from eakte.services import passwords
from tests.web.support import PASSWORD, sign_in


@pytest.fixture
def browser_for(app, town):
    """A test client signed in as `username` (its password set by the operator first:
    one an admin sets is temporary), each with its own cookies."""

    def make(username: str):
        passwords.set_password(town.system, username, PASSWORD)
        browser = app.test_client()
        assert sign_in(browser, username, PASSWORD).status_code == 302
        return browser

    return make
