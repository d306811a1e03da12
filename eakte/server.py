"""Running the app under gunicorn from `eakte serve`."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from eakte.config import Settings


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self._settings = settings
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from eakte import create_app

        return create_app(self._settings)


def run_gunicorn(settings: Settings, *, host: str, port: int, workers: int, threads: int) -> None:
    _Gunicorn(
        settings,
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "timeout": 120,
            "graceful_timeout": 30,
            "accesslog": "-",
            # The access log must not carry query strings (search terms may be personal data).
            "access_log_format": '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss',
        },
    ).run()
