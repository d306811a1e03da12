"""Fixtures of the fault tests: a PostgreSQL database of their own, S3 servers, cleanup."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_ADMIN_URL
from tests.processes import Instance, fresh_postgres_database


@pytest.fixture
def nodes() -> Iterator[list[Instance]]:
    """Instances a test makes; every process they started is killed afterwards."""
    made: list[Instance] = []
    yield made
    for node in made:
        for process in reversed(node.processes):
            process.kill()  # a graceful stop is not under test here and costs seconds


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """An empty database on the shared PostgreSQL server (dropped afterwards)."""
    with fresh_postgres_database(
        POSTGRES_ADMIN_URL, f"eakte_faults_{uuid.uuid4().hex[:10]}"
    ) as url:
        yield url


@pytest.fixture
def s3(tmp_path: Path):
    """A SeaweedFS server of the test's own (stopped and started by some tests)."""
    from tests.s3server import start_s3_server

    server = start_s3_server(tmp_path / "s3")
    yield server
    server.stop(graceful=False)
