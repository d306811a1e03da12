"""Operator commands that set up and run an instance: init, serve, worker, reindex, demo."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import click

from eakte import logs, metrics
from eakte.bootstrap import build_ports
from eakte.cli.group import load_settings, main, progress, system_context


@main.command()
def init() -> None:
    """Create the instance: folders, key material, database schema, first admin."""
    from eakte.instance import create_instance_secrets
    from eakte.migrations import upgrade_to_head
    from eakte.services.setup import create_first_admin

    settings = load_settings()
    create_instance_secrets(settings)
    upgrade_to_head(settings.database_url)
    with system_context(build_ports(settings)) as system:
        token = create_first_admin(system)
    click.echo(f"Instance ready in {settings.instance_path}", err=True)
    if token is None:
        click.echo(
            "User 'admin' exists already; `eakte token create admin` makes a new token.", err=True
        )
    else:
        click.echo("Token for user 'admin' (shown only now, keep it safe):", err=True)
        click.echo(token)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--worker/--no-worker",
    default=True,
    show_default=True,
    help="Also run the background worker (sealing, checkpoints) in this process.",
)
def serve(host: str, port: int, workers: int, threads: int, worker: bool) -> None:
    """Serve the API with gunicorn."""
    from eakte.db import make_engine
    from eakte.migrations import is_at_head
    from eakte.server import run_gunicorn

    settings = load_settings()
    # Before gunicorn forks: its workers and the background worker count into one place.
    metrics.multiprocess_dir(settings.instance_path)
    engine = make_engine(settings.database_url)
    try:
        if not is_at_head(engine):
            raise click.ClickException("the database schema is not current: run `eakte init` first")
    finally:
        engine.dispose()
    # One-box deployments: the background worker runs beside the web server, as its
    # own process (threads in gunicorn's forking master would not survive the forks).
    # Started from this, the main thread (see eakte/parent.py), and told to end with it.
    background = (
        subprocess.Popen(  # noqa: S603 - this interpreter, our own arguments
            [sys.executable, "-m", "eakte", "worker", "--parent-pid", str(os.getpid())],
            start_new_session=True,
        )
        if worker
        else None
    )
    try:
        run_gunicorn(settings, host=host, port=port, workers=workers, threads=threads)
    finally:
        if background is not None:
            background.terminate()
            background.wait(timeout=30)


@main.command()
@click.option("--interval", default=1.0, show_default=True, type=click.FloatRange(0.1, 60))
@click.option(
    "--metrics-port",
    type=click.IntRange(1, 65535),
    help="Serve Prometheus metrics on this port (for a worker without `eakte serve` beside it).",
)
@click.option("--metrics-host", default="127.0.0.1", show_default=True)
@click.option(
    "--parent-pid",
    type=click.IntRange(2),
    hidden=True,  # set by `eakte serve` for the worker it starts; a worker on its own has none
    help="Stop when the process with this pid is no longer the parent.",
)
def worker(
    interval: float, metrics_port: int | None, metrics_host: str, parent_pid: int | None
) -> None:
    """Run background work: index documents, seal the audit trail, issue checkpoints."""
    import signal
    import threading

    from eakte.parent import end_with_parent
    from eakte.services.worker import run_worker

    settings = load_settings()
    logs.configure(settings.log_format, settings.log_level)
    metrics.prepare()
    if metrics_port:
        metrics.serve_standalone(metrics_host, metrics_port)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    if parent_pid is not None:
        end_with_parent(parent_pid, stop)
    log = logging.getLogger("eakte.worker")
    log.info("worker running; stop with Ctrl-C or SIGTERM")
    run_worker(build_ports(settings), stop, interval=interval)
    log.info("worker stopped")


@main.command()
def reindex() -> None:
    """Rebuild the search index from the database and stored objects, then swap it in.

    Searches keep working on the old index until the swap; changes made meanwhile
    wait in the outbox and follow right after.
    """
    from eakte.services.indexing import reindex as rebuild_index

    with system_context() as system:
        count = rebuild_index(system, progress=progress("indexing"))
    click.echo(f"indexed {count} document(s); the new index is live", err=True)


@main.command()
def demo() -> None:
    """Load German sample data into a fresh instance (public password: not for production)."""
    from eakte.services.demo import DEMO_PASSWORD, load_demo_data

    with system_context() as system:
        logins = load_demo_data(system)
    click.echo("Demo users and their API tokens:")
    for login in logins:
        click.echo(f"  {login.username:<12} {login.display_name:<32} {login.token}")
    click.echo(f"Web sign-in (http://127.0.0.1:8000/): any of them, password {DEMO_PASSWORD}")
    click.echo(
        "This password is public (it is in eakte's source code): use the demo only to try "
        "eakte out, never on an instance with real records."
    )
