"""Browsers signed in to the web client, for the page tests."""

from __future__ import annotations

import pytest

from tests.web.test_sign_in import PASSWORD, sign_in


@pytest.fixture
def browser_for(app, town):  # noqa: ANN001, ANN201
    """A test client signed in as `username` (its password set by the admin first),
    each with its own cookies."""

    def make(username: str):  # noqa: ANN202
        response = town.admin.post(f"/principals/{username}/password", {"password": PASSWORD})
        assert response.status_code == 204, response.get_json()
        browser = app.test_client()
        assert sign_in(browser, username, PASSWORD).status_code == 302
        return browser

    return make
