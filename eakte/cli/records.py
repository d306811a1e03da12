"""Operator commands on the records: retention runs, the audit trail, keys, storage checks."""

from __future__ import annotations

import datetime as dt
import sys

import click

from eakte.cli.group import main, progress, system_context


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

    with system_context() as system:
        result = run_retention(
            system,
            as_of=as_of.date() if as_of else None,
            dry_run=dry_run,
            progress=progress("proposing"),
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

    with system_context() as system:
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

        with system_context() as system:
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

    with system_context() as system:
        result = rotate_keys(
            system, batch_size=batch_size, new_key=not resume, progress=progress("re-wrapping")
        )
    click.echo(f"active key {result.new_key_id}; {result.rewrapped} data keys re-wrapped", err=True)


@keys.command("retire")
@click.argument("key_id")
def keys_retire(key_id: str) -> None:
    """Remove an old KEK from the key ring once nothing uses it."""
    from eakte.services.keys import retire_key

    with system_context() as system:
        retire_key(system, key_id)
    click.echo(f"retired {key_id}", err=True)


@main.command("verify-storage")
@click.option("--sample", type=click.IntRange(1), help="Check this many random versions only.")
def verify_storage(sample: int | None) -> None:
    """Decrypt stored versions and compare their SHA-256; exit 1 on any failure."""
    from eakte.services.storage_checks import verify_storage as verify

    with system_context() as system:
        report = verify(system, sample=sample, progress=progress("verifying"))
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
    with system_context() as system:
        removed = sweep_orphans(system, grace=grace)
    click.echo(f"{len(removed)} orphaned objects removed", err=True)
