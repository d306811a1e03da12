"""Shared fixtures: every API and integration test runs on SQLite and on PostgreSQL.

PostgreSQL is the server on 127.0.0.1:5432 (override with EAKTE_TEST_POSTGRES_URL);
each test worker gets a throwaway database built by `alembic upgrade head`.
If PostgreSQL cannot be reached, its tests fail: they are never skipped.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from eakte import create_app
from eakte.config import Settings
from eakte.db import Base, make_engine
from eakte.instance import create_instance_secrets
from eakte.migrations import upgrade_to_head
from eakte.services.context import Context
from eakte.services.setup import create_first_admin
from tests.town import Town

POSTGRES_ADMIN_URL = os.environ.get(
    "EAKTE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


class Clock:
    """A controllable clock for expiry and calendar tests (no sleeping)."""

    def __init__(self) -> None:
        self.frozen: dt.datetime | None = None

    def __call__(self) -> dt.datetime:
        return self.frozen or dt.datetime.now(dt.UTC)

    def set(self, when: dt.datetime) -> None:
        self.frozen = when

    def advance(self, **delta: float) -> None:
        self.frozen = self() + dt.timedelta(**delta)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    upgrade_to_head(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"eakte_test_{worker}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as error:
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {error}", pytrace=False)
    url = (
        sa.engine.make_url(POSTGRES_ADMIN_URL)
        .set(database=name)
        .render_as_string(hide_password=False)
    )
    upgrade_to_head(url)
    yield url
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        if request.node.get_closest_marker("postgres_only"):
            pytest.skip("needs PostgreSQL")  # the same test runs on PostgreSQL
        path = tmp_path / "eakte.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_database")
    yield url
    engine = make_engine(url)
    with engine.begin() as conn:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    engine.dispose()


@pytest.fixture
def storage_env() -> dict[str, str]:
    """Extra settings for the object store; the file backend unless a test says otherwise."""
    return {}


@pytest.fixture
def search_env() -> dict[str, str]:
    """Extra settings for the search index; the embedded one unless a test says otherwise."""
    return {}


@pytest.fixture
def settings(
    database_url: str, tmp_path: Path, storage_env: dict[str, str], search_env: dict[str, str]
) -> Settings:
    settings = Settings.from_env(
        {
            "EAKTE_INSTANCE_PATH": str(tmp_path / "instance"),
            "EAKTE_DATABASE_URL": database_url,
            **storage_env,
            **search_env,
        }
    )
    create_instance_secrets(settings)
    return settings


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def extractor():
    """One extraction child process per test worker (starting one costs about a second)."""
    from eakte.bootstrap import build_extractor

    runner = build_extractor(Settings.from_env({}))
    yield runner
    runner.close()


@pytest.fixture
def app(settings: Settings, clock: Clock, extractor):
    app = create_app(settings)
    app.config["TESTING"] = True
    app.extensions["eakte"].clock = clock
    app.extensions["eakte"].extractor = extractor
    yield app
    app.extensions["eakte"].search_index.close()
    app.extensions["eakte"].session_factory.kw["bind"].dispose()


@pytest.fixture
def ports(app):
    return app.extensions["eakte"]


@pytest.fixture
def system(ports) -> Iterator[Context]:
    """The trusted operator channel (what the CLI uses)."""
    session = ports.session_factory()
    yield Context(ports=ports, session=session, system="test")
    session.close()


@pytest.fixture
def admin_token(system: Context) -> str:
    token = create_first_admin(system)
    assert token is not None
    return token


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def town(client, admin_token: str, system: Context) -> Town:
    return Town(client, admin_token, system)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory):
    """A real S3 server (SeaweedFS) per test worker; see tests/s3server.py for why not a mock."""
    from tests.s3server import start_s3_server

    server = start_s3_server(tmp_path_factory.mktemp("seaweedfs"))
    yield server
    server.stop()


@pytest.fixture
def s3_bucket(s3_server) -> Iterator[str]:
    """A fresh bucket name; the bucket and its objects are removed afterwards."""
    bucket = f"eakte-{uuid.uuid4().hex[:12]}"
    yield bucket
    client = s3_server.client()
    if client.bucket_exists(bucket):
        for obj in client.list_objects(bucket, recursive=True, include_version=True):
            client.remove_object(bucket, obj.object_name, version_id=obj.version_id)
        client.remove_bucket(bucket)


def s3_settings(server, bucket: str) -> dict[str, str]:
    return {
        "EAKTE_STORAGE_URL": server.url(bucket),
        "EAKTE_S3_ACCESS_KEY": server.access_key,
        "EAKTE_S3_SECRET_KEY": server.secret_key,
    }


# --- search servers (osmem emulates the Elasticsearch API) ---


@pytest.fixture(scope="session")
def search_server():
    """An osmem-server per test worker; see tests/searchserver.py for why an emulator."""
    from tests.searchserver import start_search_server

    server = start_search_server()
    yield server
    server.close()


@pytest.fixture
def es_compat(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Elasticsearch client sends plain application/json, which osmem accepts."""
    from tests.searchserver import COMPAT_MIMETYPE_ATTRIBUTE, PLAIN_MIMETYPE_SUB

    monkeypatch.setattr(COMPAT_MIMETYPE_ATTRIBUTE, PLAIN_MIMETYPE_SUB)
