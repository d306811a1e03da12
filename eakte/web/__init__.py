"""The web client: server-rendered German pages on the same services as the REST API.

No database access and no access rules of its own: every page calls a use case
with the signed-in user's context, so each page action is checked and audited
exactly like the API call it corresponds to.
"""

from __future__ import annotations

from flask import Flask

from eakte.web import pages, session


def init_web(app: Flask) -> None:
    app.register_blueprint(pages.blp)
    session.register(app)
