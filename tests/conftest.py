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


class Town:
    """Departments 32 (with 32.1) and 50, file plan 32.10 and 50.30, and their people.

    anna: clerk in 32 · carla: reader in 32 · lea: lead in 32 · ben: clerk in 50 ·
    bea: reader in 50 · rita: records manager · audrey: auditor · admin.
    """

    def __init__(self, client, admin_token: str, system: Context) -> None:
        from tests.helpers import ApiClient

        self.client = client
        self.system = system
        self.admin = ApiClient(client, admin_token)
        for body in (
            {"code": "32", "name": "Ordnungsamt"},
            {"code": "32.1", "name": "Gewerbe", "parent": "32"},
            {"code": "50", "name": "Sozialamt"},
        ):
            assert self.admin.post("/departments", body).status_code == 201
        self.rita = self.person("rita", roles=["records_manager"])
        for body in (
            {
                "code": "32.10",
                "title": "Gewerbeangelegenheiten",
                "retention_years": 10,
                "disposition": "archive",
            },
            {"code": "50.30", "title": "Wohngeld", "retention_years": 6, "disposition": "destroy"},
        ):
            assert self.rita.post("/file-plan", body).status_code == 201
        self.anna = self.person("anna", member=("32", "clerk"))
        self.carla = self.person("carla", member=("32", "reader"))
        self.lea = self.person("lea", member=("32", "lead"))
        self.ben = self.person("ben", member=("50", "clerk"))
        self.bea = self.person("bea", member=("50", "reader"))
        self.audrey = self.person("audrey", roles=["auditor"])

    def person(self, username: str, *, member=None, roles=(), kind: str = "user"):
        """A principal made by the admin over the API, with rights confirmed as they would be.

        Memberships a lead must confirm and records_manager grants another records
        manager must approve are approved by the operator's channel; the token comes
        from the operator too (admins mint tokens only for service accounts).
        """
        from eakte.models.vocabulary import GlobalRole
        from eakte.services import principals, tokens
        from tests.helpers import ApiClient

        response = self.admin.post(
            "/principals", {"username": username, "display_name": username.title(), "kind": kind}
        )
        assert response.status_code == 201, response.get_json()
        if member:
            department, role = member
            response = self.admin.post(
                f"/principals/{username}/memberships", {"department": department, "role": role}
            )
            assert response.status_code == 201, response.get_json()
            if response.get_json()["state"] == "pending":
                principals.approve_membership(self.system, username, department=department)
        for role in roles:
            response = self.admin.post(f"/principals/{username}/roles", {"role": role})
            assert response.status_code == 201, response.get_json()
            if response.get_json()["state"] == "pending":
                principals.approve_role(self.system, username, GlobalRole(role))
        token, _ = tokens.create_token(self.system, username)
        return ApiClient(self.client, token)

    def case_file(self, who=None, **overrides):
        body = {
            "file_plan": "32.10",
            "department": "32",
            "title": "Gewerbeanmeldung Bäckerei Sommer",
        }
        body.update(overrides)
        response = (who or self.anna).post("/case-files", body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()


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
