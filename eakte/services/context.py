"""What a use case receives: the ports (built once) and the per-call context."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from eakte.config import Settings
from eakte.evidence.signing import Signer
from eakte.models import Principal
from eakte.models.vocabulary import DepartmentRole
from eakte.preview import PdfConverter
from eakte.search.base import Extractor, SearchIndex
from eakte.storage.base import BlobStore
from eakte.storage.envelope import EnvelopeStore
from eakte.storage.keyring import KeyRing


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Ports:
    """Everything outside the process that the services talk to, chosen once by bootstrap."""

    settings: Settings
    session_factory: sessionmaker[Session]
    # Encrypted objects go through envelope_store; blob_store is for plain objects (audit
    # checkpoints), deletes and sweeps; keyring for key rotation.
    blob_store: BlobStore
    keyring: KeyRing
    envelope_store: EnvelopeStore
    signer: Signer
    address_hasher: Callable[[str | None], str | None]
    search_index: SearchIndex
    extractor: Extractor
    clock: Callable[[], dt.datetime] = utcnow
    # Previews of DOCX/ODT as PDF; None when no converter is installed (the usual case).
    pdf_converter: PdfConverter | None = None

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.settings.timezone)


@dataclass
class Context:
    """One caller, one unit of work.

    `actor` is the authenticated principal; `system` names a trusted operator
    channel (the CLI) that acts without a principal. Exactly one is set for
    any call that reaches a use case; both are None only while authenticating.
    """

    ports: Ports
    session: Session
    actor: Principal | None = None
    system: str | None = None
    request_id: str | None = None
    client_address: str | None = None
    # Who minted the bearer token of this call, when it was someone else (audited).
    token_issuer: str | None = None
    _roles: dict[uuid.UUID, DepartmentRole] | None = field(default=None, repr=False)

    @property
    def actor_name(self) -> str:
        if self.actor is not None:
            return self.actor.username
        return f"system:{self.system}" if self.system else "anonymous"

    @property
    def actor_id(self) -> uuid.UUID | None:
        return self.actor.id if self.actor is not None else None

    def now(self) -> dt.datetime:
        return self.ports.clock()

    def today(self) -> dt.date:
        """The calendar day at the municipality (years of Aktenzeichen and retention)."""
        return self.now().astimezone(self.ports.timezone).date()

    def start_of_day(self, day: dt.date) -> dt.datetime:
        """Midnight at the municipality when `day` begins, in UTC: the bound of a day filter."""
        return dt.datetime.combine(day, dt.time(), tzinfo=self.ports.timezone).astimezone(dt.UTC)

    def commit(self) -> None:
        self.session.commit()
