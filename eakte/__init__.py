"""eakte: electronic records (E-Akte) backend for German municipalities."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported lazily: the worker's extraction child imports eakte.* too
    from flask import Flask

    from eakte.config import Settings


def create_app(settings: Settings | None = None) -> Flask:
    """The app factory: settings from the environment unless given."""
    from flask import Flask
    from flask.json.provider import DefaultJSONProvider
    from werkzeug.middleware.proxy_fix import ProxyFix

    from eakte.api import init_api, security_headers
    from eakte.bootstrap import build_ports
    from eakte.config import Settings
    from eakte.errors import ConfigError
    from eakte.services.throttling import Throttles
    from eakte.web import init_web

    if settings is None:
        try:
            settings = Settings.from_env()
        except ConfigError as error:
            # Under gunicorn (`wsgi:app`): one clear line, no traceback; exit status 3
            # is gunicorn's "worker failed to boot", which stops the master too.
            print(f"eakte: configuration: {error.detail}", file=sys.stderr)
            raise SystemExit(3) from None
    app = Flask(__name__, instance_path=str(settings.instance_path), static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    provider = app.json
    assert isinstance(provider, DefaultJSONProvider)
    provider.sort_keys = False
    provider.ensure_ascii = False
    app.extensions["eakte"] = build_ports(settings)
    app.extensions["eakte.throttles"] = Throttles.from_settings(settings)
    if settings.proxy_count:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.proxy_count, x_proto=settings.proxy_count
        )
    init_api(app)
    init_web(app)
    security_headers.register(app)
    return app
