"""Key-encryption key rotation and crypto-shredding: the key side of the storage design."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select

from eakte.errors import ConflictError, NotFoundError
from eakte.models import DocumentVersion
from eakte.models.vocabulary import GlobalRole
from eakte.services import access, audit, outbox
from eakte.services.context import Context

REWRAP_BATCH = 500


@dataclass(frozen=True)
class RotationResult:
    new_key_id: str
    rewrapped: int


def rotate_keys(
    ctx: Context,
    *,
    batch_size: int = REWRAP_BATCH,
    progress: Callable[[int, int], None] | None = None,
    new_key: bool = True,
) -> RotationResult:
    """Add a fresh KEK and re-wrap every data key with it; content is never re-encrypted.

    Works in committed batches, so it can be interrupted and run again
    (`new_key=False` resumes with the current active key) while servers keep
    serving; they pick the new key ring up on their next upload.
    """
    access.require_global_role(ctx, GlobalRole.ADMIN, "keys.rotate")
    keyring = ctx.ports.keyring
    key_id = keyring.rotate() if new_key else keyring.active()[0]
    stale = (DocumentVersion.kek_id != key_id) & DocumentVersion.wrapped_key.is_not(None)
    total = ctx.session.scalar(select(func.count()).select_from(DocumentVersion).where(stale)) or 0
    done = 0
    audit.record(
        ctx, "keys.rotate", object_type="key", object_id=key_id, details={"pending": total}
    )
    ctx.commit()
    while True:
        rows = list(
            ctx.session.scalars(
                select(DocumentVersion)
                .where(stale)
                .order_by(DocumentVersion.id)
                .limit(batch_size)
                .with_for_update(skip_locked=True)
            )
        )
        if not rows:
            break
        for version in rows:
            version.wrapped_key = ctx.ports.envelope_store.rewrap(version, key_id)
            version.kek_id = key_id
        ctx.commit()
        done += len(rows)
        if progress:
            progress(done, total)
    audit.record(
        ctx, "keys.rewrapped", object_type="key", object_id=key_id, details={"count": done}
    )
    ctx.commit()
    return RotationResult(key_id, done)


def retire_key(ctx: Context, key_id: str) -> None:
    """Drop an old KEK from the ring once no data key is wrapped with it any more."""
    access.require_global_role(ctx, GlobalRole.ADMIN, "keys.retire")
    in_use = ctx.session.scalar(
        select(func.count()).select_from(DocumentVersion).where(DocumentVersion.kek_id == key_id)
    )
    if in_use:
        raise ConflictError(f"{in_use} data keys are still wrapped with {key_id}; rotate first")
    ctx.ports.keyring.retire(key_id)
    audit.record(ctx, "keys.retire", object_type="key", object_id=key_id)
    ctx.commit()


def shred(ctx: Context, version: DocumentVersion) -> None:
    """Destroy the wrapped data key in the caller's transaction; the index follows."""
    if version.wrapped_key is not None:
        version.wrapped_key = None
        version.kek_id = None
        version.shredded_at = ctx.now()
        outbox.document_changed(ctx, version.document_id)


def shred_version(ctx: Context, version_id: uuid.UUID, *, reason: str) -> DocumentVersion:
    """Crypto-shredding: destroy the wrapped data key, so every copy of the ciphertext
    (replicas, bucket versions, backups) becomes unreadable for good.

    Used by disposition; the trusted system channel and records managers may call it.
    """
    access.require_global_role(ctx, GlobalRole.RECORDS_MANAGER, "version.shred")
    version = ctx.session.get(DocumentVersion, version_id)
    if version is None:
        raise NotFoundError(f"version {version_id} not found")
    shred(ctx, version)
    audit.record(
        ctx,
        "version.shred",
        object_type="document_version",
        object_id=version.id,
        details={"document": str(version.document_id), "number": version.number, "reason": reason},
    )
    ctx.commit()
    return version
