"""The web client: server-rendered German pages on the same services as the REST API.

No database access and no access rules of its own: every page calls a use case
with the signed-in user's context, so each page action is checked and audited
exactly like the API call it corresponds to. One module per area adds its
routes to the one blueprint (`blueprint.py`).
"""

from __future__ import annotations

from flask import Flask

from eakte.web import (  # noqa: F401 - importing a page module registers its routes
    admin,
    admin_person,
    case_files,
    confirmations,
    documents,
    error_pages,
    own_password,
    pickers,
    protocol,
    retention,
    retention_proposals,
    search,
    sign_in,
)
from eakte.web.blueprint import blp


def init_web(app: Flask) -> None:
    app.register_blueprint(blp)
    error_pages.register(app)
