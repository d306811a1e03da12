"""Running the app under gunicorn from `eakte serve`."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from eakte import logs, metrics
from eakte.config import Settings


class _Gunicorn(BaseApplication):
    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self._settings = settings
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from eakte import create_app
        from eakte.slow_clients import SlowClientGuard

        return SlowClientGuard(create_app(self._settings), self._settings.client_timeout_seconds)


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
            # gunicorn's control socket sits at one path per user ($XDG_RUNTIME_DIR or
            # ~/.gunicorn/gunicorn.ctl): a second `eakte serve` on the host would take it
            # over (and remove it on exit). eakte is run by its own CLI and signals.
            "control_socket_disable": True,
            # The app writes the access lines itself (JSON, with request id, no query
            # string: search texts may be personal data); gunicorn's own lines join them.
            "accesslog": None,
            "logconfig_dict": logs.gunicorn_config(settings.log_format, settings.log_level),
            "post_worker_init": lambda _worker: metrics.prepare(),
            "child_exit": lambda _arbiter, worker: metrics.process_exited(worker.pid),
        },
    ).run()
