"""Operator checks on the object store: verify every stored version, sweep orphans."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import func, select

from eakte.errors import EakteError
from eakte.models import DocumentVersion
from eakte.models.vocabulary import GlobalRole, Outcome
from eakte.services import access, audit
from eakte.services.context import Context

SWEEP_BATCH = 500


@dataclass
class VerificationReport:
    checked: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (version id, reason)


def verify_storage(
    ctx: Context, *, sample: int | None = None, progress: Callable[[int], None] | None = None
) -> VerificationReport:
    """Decrypt every (or a random sample of) stored version and compare its SHA-256."""
    access.require_global_role(ctx, GlobalRole.ADMIN, "storage.verify")
    stmt = select(DocumentVersion).where(DocumentVersion.wrapped_key.is_not(None))
    stmt = (
        stmt.order_by(func.random()).limit(sample) if sample else stmt.order_by(DocumentVersion.id)
    )
    versions = list(ctx.session.scalars(stmt))
    ctx.session.rollback()  # no transaction held while objects stream
    report = VerificationReport()
    for version in versions:
        reason = _verify_one(ctx, version)
        report.checked += 1
        if reason:
            report.failures.append((str(version.id), reason))
        if progress:
            progress(report.checked)
    audit.record(
        ctx,
        "storage.verify",
        outcome=Outcome.FAILED if report.failures else Outcome.ALLOWED,
        details={"checked": report.checked, "failed": [v for v, _ in report.failures][:100]},
    )
    ctx.commit()
    return report


def _verify_one(ctx: Context, version: DocumentVersion) -> str | None:
    digest = hashlib.sha256()
    try:
        for chunk in ctx.ports.envelope_store.read(version):
            digest.update(chunk)
    except EakteError as error:
        return error.detail
    if digest.hexdigest() != version.sha256:
        return "plaintext SHA-256 differs from the one recorded at upload"
    return None


def sweep_orphans(ctx: Context, *, grace: dt.timedelta | None = None) -> list[str]:
    """Delete objects that no readable version names and that are older than the grace period.

    That is the objects of failed uploads and of crypto-shredded versions (whose
    deletion during disposition failed, e.g. while the store was down). The grace
    period protects uploads in flight: their object exists a moment before their
    row commits.
    """
    access.require_global_role(ctx, GlobalRole.ADMIN, "storage.sweep")
    if grace is None:
        grace = dt.timedelta(hours=ctx.ports.settings.sweep_grace_hours)
    cutoff = ctx.now() - grace
    removed: list[str] = []
    for batch in _batches(ctx.ports.blob_store.keys_older_than("v1", cutoff), SWEEP_BATCH):
        known = set(
            ctx.session.scalars(
                select(DocumentVersion.object_key).where(
                    DocumentVersion.object_key.in_(batch), DocumentVersion.wrapped_key.is_not(None)
                )
            )
        )
        ctx.session.rollback()
        for key in batch:
            if key not in known:
                ctx.ports.blob_store.delete(key)
                removed.append(key)
    audit.record(
        ctx, "storage.sweep", details={"removed": len(removed), "cutoff": cutoff.isoformat()}
    )
    ctx.commit()
    return removed


def _batches(keys: Iterator[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for key in keys:
        batch.append(key)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
