"""The service tier: use cases called directly on in-memory ports, no HTTP, no sockets.

The database is a copy in memory of the schema Alembic built (the session's migrated
template), objects live in a `MemoryBlobStore`, and the key ring, signing key
and embedded search index sit in the test's tmp_path. Tests whose point is a rule of a
use case live here; what a caller sees over HTTP stays in tests/api.
"""

from __future__ import annotations

import dataclasses
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eakte.bootstrap import build_ports
from eakte.config import Settings
from eakte.instance import create_instance_secrets
from eakte.services.context import Ports
from eakte.services.setup import create_first_admin
from eakte.storage.memory import MemoryBlobStore
from tests.town import ServiceLayer, build

SHARED_MEMORY = Path("/dev/shm")


@pytest.fixture
def memory_database(sqlite_template: Path, tmp_path: Path) -> Iterator[str]:
    """A fresh copy of the migrated schema in memory (tmpfs where there is one).

    A file on tmpfs rather than `sqlite://`: memory speed with the engine the product
    builds (WAL, BEGIN IMMEDIATE, one connection per session), which a private
    in-memory database, one connection for everything, cannot give.
    """
    folder = SHARED_MEMORY if SHARED_MEMORY.is_dir() else tmp_path
    path = folder / f"eakte-test-{uuid.uuid4().hex}.db"
    shutil.copy(sqlite_template, path)
    yield f"sqlite:///{path}"
    for leftover in folder.glob(f"{path.name}*"):  # the database, its WAL and shared memory
        leftover.unlink()


@pytest.fixture
def ports(memory_database: str, tmp_path: Path, clock: Any, extractor: Any) -> Iterator[Ports]:
    settings = Settings.from_env(
        {"EAKTE_INSTANCE_PATH": str(tmp_path / "instance"), "EAKTE_DATABASE_URL": memory_database}
    )
    create_instance_secrets(settings)
    ports = dataclasses.replace(
        build_ports(settings), blob_store=MemoryBlobStore(clock), extractor=extractor, clock=clock
    )
    yield ports
    ports.search_index.close()
    ports.session_factory.kw["bind"].dispose()


@pytest.fixture
def service(ports: Ports) -> ServiceLayer:
    return ServiceLayer(ports)


@pytest.fixture
def people(service: ServiceLayer) -> dict[str, str]:
    """The town of tests/town.py made through the use cases; tokens by username."""
    with service.acting() as system:
        admin = create_first_admin(system)
    assert admin is not None
    return {"admin": admin, **build(service, admin)}
