"""The `eakte` command: operator tasks on one instance.

Every command reads the same `EAKTE_*` settings as the server and acts as the
trusted `system:cli` actor through the service layer, so its actions are
audited like any other. Errors are one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator

import click

from eakte import logs, metrics
from eakte.bootstrap import build_ports
from eakte.config import Settings
from eakte.db import UNAVAILABLE_ERRORS
from eakte.errors import ConfigError, EakteError
from eakte.models.vocabulary import (
    USERNAME_PATTERN,
    DepartmentRole,
    GlobalRole,
    PrincipalKind,
    values,
)
from eakte.services import deactivation, principals, tokens
from eakte.services.context import Context, Ports


class _Group(click.Group):
    """Turns our errors into one line on stderr instead of a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ConfigError as error:
            raise click.ClickException(f"configuration: {error.detail}") from None
        except EakteError as error:
            raise click.ClickException(error.detail) from None
        except UNAVAILABLE_ERRORS as error:
            raise click.ClickException(
                f"database unavailable ({type(error).__name__}); is it running and initialised?"
            ) from None


@click.group(cls=_Group)
def main() -> None:
    """eakte: electronic records for municipalities."""


def _settings() -> Settings:
    return Settings.from_env()


@contextlib.contextmanager
def _system(ports: Ports | None = None) -> Iterator[Context]:
    ports = ports or build_ports(_settings())
    session = ports.session_factory()
    try:
        yield Context(ports=ports, session=session, system=f"cli:{getpass.getuser()}")
    finally:
        session.close()


@main.command()
def init() -> None:
    """Create the instance: folders, key material, database schema, first admin."""
    from eakte.instance import create_instance_secrets
    from eakte.migrations import upgrade_to_head
    from eakte.services.setup import create_first_admin

    settings = _settings()
    create_instance_secrets(settings)
    upgrade_to_head(settings.database_url)
    with _system(build_ports(settings)) as system:
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

    settings = _settings()
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


@main.group()
def principal() -> None:
    """Users and service accounts."""


@principal.command("add")
@click.argument("username")
@click.option("--service", is_flag=True, help="A service account for another application.")
@click.option("--display-name", help="Shown name; defaults to the username.")
def principal_add(username: str, service: bool, display_name: str | None) -> None:
    """Create a user (or a service account with --service)."""
    kind = PrincipalKind.SERVICE if service else PrincipalKind.USER
    _check_username(username)
    with _system() as system:
        principals.create_principal(
            system, username=username, display_name=display_name or username, kind=kind
        )
    click.echo(f"created {kind.value} {username}", err=True)


@principal.command("deactivate")
@click.argument("username")
def principal_deactivate(username: str) -> None:
    """Deactivate USERNAME: its tokens and web sessions end at once, sign-in is refused."""
    with _system() as system:
        deactivation.deactivate_principal(system, username)
    click.echo(f"{username} is deactivated; its tokens and sessions have ended", err=True)


@principal.command("reactivate")
@click.argument("username")
def principal_reactivate(username: str) -> None:
    """Reactivate USERNAME (its old tokens stay revoked: create a new one)."""
    with _system() as system:
        deactivation.reactivate_principal(system, username)
    click.echo(f"{username} is active again", err=True)


@main.group()
def member() -> None:
    """Department memberships."""


@member.command("add")
@click.argument("username")
@click.option("--department", required=True, help="Department code, e.g. 32.")
@click.option("--role", required=True, type=click.Choice(values(DepartmentRole)))
def member_add(username: str, department: str, role: str) -> None:
    """Make USERNAME a member of a department with a role (or change the role)."""
    with _system() as system:
        principals.add_membership(
            system, username, department=department, role=DepartmentRole(role)
        )
    click.echo(f"{username} is {role} in {department}", err=True)


@main.group()
def role() -> None:
    """Global roles."""


@role.command("grant")
@click.argument("username")
@click.argument("role_name", metavar="ROLE", type=click.Choice(values(GlobalRole)))
def role_grant(username: str, role_name: str) -> None:
    """Give USERNAME a global role."""
    with _system() as system:
        principals.grant_role(system, username, GlobalRole(role_name))
    click.echo(f"{username} has role {role_name}", err=True)


@main.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("username")
@click.option("--days", type=click.IntRange(1, 3650), help="Valid for this many days.")
@click.option(
    "--no-expiry", is_flag=True, help="Never expires (service accounts; revoke when unused)."
)
def token_create(username: str, days: int | None, no_expiry: bool) -> None:
    """Create a token for USERNAME; prints only the token."""
    with _system() as system:
        expires_at = system.now() + dt.timedelta(days=days) if days else None
        plain, _ = tokens.create_token(
            system, username, expires_at=expires_at, never_expires=no_expiry
        )
    click.echo(plain)


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

    settings = _settings()
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

    with _system() as system:
        count = rebuild_index(system, progress=_progress("indexing"))
    click.echo(f"indexed {count} document(s); the new index is live", err=True)


@main.group()
def password() -> None:
    """Web sign-in passwords."""


@password.command("set")
@click.argument("username")
def password_set(username: str) -> None:
    """Set USERNAME's password, read from standard input (asked twice on a terminal)."""
    if sys.stdin.isatty():
        new = getpass.getpass("New password: ")
        if getpass.getpass("Repeat it: ") != new:
            raise click.ClickException("the two entries differ; nothing was changed")
    else:
        new = sys.stdin.readline().rstrip("\r\n")
    from eakte.services.passwords import set_password

    with _system() as system:
        set_password(system, username, new)
    click.echo(f"password of {username} set", err=True)


@main.group("retention")
def retention_group() -> None:
    """Retention and disposition."""


@retention_group.command("run")
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Judge due dates as of this day (YYYY-MM-DD) instead of today; "
    "a day after today only with --dry-run.",
)
@click.option("--dry-run", is_flag=True, help="Only report what would be proposed.")
def retention_run(as_of: dt.datetime | None, dry_run: bool) -> None:
    """Propose due case files without legal holds for disposition (idempotent, cron-able).

    Prints one line per proposal made; safe to run on several nodes at once.
    """
    from eakte.services.retention import run_retention

    with _system() as system:
        result = run_retention(
            system,
            as_of=as_of.date() if as_of else None,
            dry_run=dry_run,
            progress=_progress("proposing"),
        )
    for proposal_id in result.proposals:
        click.echo(str(proposal_id))
    verb = "would propose" if dry_run else "proposed"
    click.echo(
        f"as of {result.as_of.isoformat()}: {verb} {result.proposed} case file(s) in "
        f"{len(result.proposals)} proposal(s); {result.held} due file(s) under legal hold",
        err=True,
    )


@main.group("audit")
def audit_group() -> None:
    """The sealed audit trail."""


@audit_group.command("checkpoint")
def audit_checkpoint() -> None:
    """Seal pending events and sign a checkpoint now; prints it as JSON."""
    import json

    from eakte.services.audit_queries import checkpoint_now
    from eakte.services.audit_sealing import checkpoint_document

    with _system() as system:
        checkpoint = checkpoint_now(system)
    click.echo(json.dumps(checkpoint_document(checkpoint), indent=2))


@audit_group.command("verify")
@click.option(
    "--export",
    "export_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Offline: a JSON Lines export (GET /api/v1/audit/export).",
)
@click.option(
    "--checkpoints",
    "checkpoints_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Offline: the checkpoints (GET /api/v1/audit/checkpoints).",
)
@click.option(
    "--public-key",
    "public_key_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Offline: the PEM public key (GET /api/v1/audit/public-key).",
)
def audit_verify(
    export_file: str | None, checkpoints_file: str | None, public_key_file: str | None
) -> None:
    """Verify the trail: online against the database, or offline from export files.

    Exit 0 when everything verifies, 1 with the first bad seq otherwise.
    """
    import json

    offline = (export_file, checkpoints_file, public_key_file)
    if any(offline) and not all(offline):
        raise click.UsageError(
            "offline verification needs --export, --checkpoints and --public-key"
        )
    if export_file and checkpoints_file and public_key_file:
        from eakte.evidence.offline import verify_files

        result = verify_files(export_file, checkpoints_file, public_key_file)
    else:
        from eakte.services.audit_verification import verify_trail

        with _system() as system:
            result = verify_trail(system)
    click.echo(json.dumps(result.as_dict(), indent=2))
    if result.uncovered is not None:
        click.echo(f"not covered: {result.uncovered.describe()}", err=True)
    if not result.ok:
        sys.exit(1)


@main.group()
def keys() -> None:
    """Key-encryption keys (the key ring)."""


@keys.command("rotate")
@click.option("--resume", is_flag=True, help="Finish an interrupted rotation; no new key.")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 100_000))
def keys_rotate(resume: bool, batch_size: int) -> None:
    """Add a new KEK and re-wrap every data key with it (content is not re-encrypted)."""
    from eakte.services.keys import rotate_keys

    with _system() as system:
        result = rotate_keys(
            system, batch_size=batch_size, new_key=not resume, progress=_progress("re-wrapping")
        )
    click.echo(f"active key {result.new_key_id}; {result.rewrapped} data keys re-wrapped", err=True)


@keys.command("retire")
@click.argument("key_id")
def keys_retire(key_id: str) -> None:
    """Remove an old KEK from the key ring once nothing uses it."""
    from eakte.services.keys import retire_key

    with _system() as system:
        retire_key(system, key_id)
    click.echo(f"retired {key_id}", err=True)


@main.command("verify-storage")
@click.option("--sample", type=click.IntRange(1), help="Check this many random versions only.")
def verify_storage(sample: int | None) -> None:
    """Decrypt stored versions and compare their SHA-256; exit 1 on any failure."""
    from eakte.services.storage_checks import verify_storage as verify

    with _system() as system:
        report = verify(system, sample=sample, progress=_progress("verifying"))
    for version_id, reason in report.failures:
        click.echo(f"FAILED {version_id}: {reason}")
    click.echo(f"{report.checked} versions checked, {len(report.failures)} failed", err=True)
    if report.failures:
        sys.exit(1)


@main.command()
@click.option(
    "--grace-hours",
    type=click.IntRange(0),
    help="Only objects older than this (default EAKTE_SWEEP_GRACE_HOURS; 0 = all, when no "
    "upload can be in flight).",
)
def sweep(grace_hours: int | None) -> None:
    """Delete stored objects that no document version refers to (failed uploads)."""
    from eakte.services.storage_checks import sweep_orphans

    grace = dt.timedelta(hours=grace_hours) if grace_hours is not None else None
    with _system() as system:
        removed = sweep_orphans(system, grace=grace)
    click.echo(f"{len(removed)} orphaned objects removed", err=True)


def _progress(label: str) -> Callable[..., None] | None:
    """A progress line on a terminal; silent when output goes to a file or cron mail."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int | None = None) -> None:
        suffix = f"/{total}" if total else ""
        click.echo(f"\r{label} {done}{suffix}", err=True, nl=False)

    return show


@main.command()
def demo() -> None:
    """Load German sample data into a fresh instance (public password: not for production)."""
    from eakte.services.demo import DEMO_PASSWORD, load_demo_data

    with _system() as system:
        logins = load_demo_data(system)
    click.echo("Demo users and their API tokens:")
    for login in logins:
        click.echo(f"  {login.username:<12} {login.display_name:<32} {login.token}")
    click.echo(f"Web sign-in (http://127.0.0.1:8000/): any of them, password {DEMO_PASSWORD}")
    click.echo(
        "This password is public (it is in eakte's source code): use the demo only to try "
        "eakte out, never on an instance with real records."
    )


def _check_username(username: str) -> None:
    if not re.fullmatch(USERNAME_PATTERN, username):
        raise click.ClickException(
            f"invalid username {username!r}: "
            "2-64 characters, lower-case letters, digits, '.', '_' or '-'"
        )


if __name__ == "__main__":
    sys.exit(main())
