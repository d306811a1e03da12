"""Retention and legal holds mirrored onto the stored objects (S3 Object Lock), as a second line.

The database decides; where the bucket has Object Lock, the store then refuses
to delete a version early too. `mirror` runs after the deciding transaction has
committed: a store that is down costs the mirror (logged), never the decision.
The dates themselves are rules in `eakte.retention.policy`.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid

from sqlalchemy import select

from eakte.errors import EakteError
from eakte.models import CaseFile, Document, DocumentVersion
from eakte.models.retention import is_held
from eakte.retention.policy import lock_checkpoint, lock_on_upload
from eakte.services.context import Context, Ports

log = logging.getLogger(__name__)


def lock_for_upload(ports: Ports, retention_years: int, today: dt.date) -> dt.date | None:
    """The lock a new version's object is written with; None unless the bucket has Object Lock."""
    if ports.settings.s3_object_lock == "off":
        return None
    return lock_on_upload(today, retention_years)


def lock_for_checkpoint(ports: Ports, years: int, today: dt.date) -> dt.date | None:
    """The lock an audit checkpoint's copy is written with; None without Object Lock."""
    if ports.settings.s3_object_lock == "off":
        return None
    return lock_checkpoint(today, years)


def mirror(ctx: Context, case_file_id: uuid.UUID) -> None:
    """Lock every version of the case file until its retention date; hold it while held."""
    if ctx.ports.settings.s3_object_lock == "off":
        return
    with ctx.ports.session_factory() as session:
        case_file = session.get(CaseFile, case_file_id)
        if case_file is None:
            return
        held = bool(session.scalar(select(is_held(case_file.id))))
        keys = list(
            session.scalars(
                select(DocumentVersion.object_key)
                .join(Document, DocumentVersion.document_id == Document.id)
                .where(
                    Document.case_file_id == case_file.id, DocumentVersion.wrapped_key.is_not(None)
                )
            )
        )
        retain_until = case_file.retain_until
    for key in keys:
        try:
            ctx.ports.blob_store.protect(key, retain_until=retain_until, legal_hold=held)
        except EakteError as error:
            log.warning("object lock not mirrored onto %s (%s)", key, type(error).__name__)
