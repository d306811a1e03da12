"""What the integration tests share: the `eakte` command, metrics, shared backends and
the town's people made over HTTP."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import POSTGRES_ADMIN_URL, s3_settings
from tests.processes import Server, fresh_postgres_database
from tests.town import OverHttp, build


def operator_env(instance: Path, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of an `eakte` command for one instance (none of the caller's EAKTE_*)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EAKTE_")}
    env.update(EAKTE_INSTANCE_PATH=str(instance), EAKTE_DATABASE_URL=database_url, **extra)
    return env


def eakte(env: dict[str, str], *args: str, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "eakte", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        input=input,
    )


def metric(server: Server, name: str, **labels: str) -> float:
    """The sum of one metric's samples over all processes (matching `labels`)."""
    conn = server.connection()
    try:
        conn.request("GET", "/metrics")
        response = conn.getresponse()
        body = response.read().decode()
    finally:
        conn.close()
    assert response.status == 200, body
    return sum(
        sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


@dataclass(frozen=True)
class Backends:
    """One deployment's PostgreSQL database, S3 bucket and search index (on osmem), and
    the EAKTE_* settings every node of it needs."""

    database_url: str
    bucket: str
    search_url: str
    search_index: str
    env: dict[str, str]


def shared_backends(
    cleanup: contextlib.ExitStack,
    s3_server,
    search_server,
    prefix: str,
) -> Backends:
    """Fresh database, bucket and index for one test module; `cleanup` removes them."""
    bucket = f"eakte-{uuid.uuid4().hex[:12]}"
    search = search_server.clone()
    cleanup.callback(search.close)
    cleanup.callback(remove_bucket, s3_server, bucket)
    database_url = cleanup.enter_context(
        fresh_postgres_database(POSTGRES_ADMIN_URL, f"{prefix}_{uuid.uuid4().hex[:8]}")
    )
    index = f"eakte-{uuid.uuid4().hex[:8]}"
    env = {
        **s3_settings(s3_server, bucket),
        "EAKTE_SEARCH_URL": search.url,
        "EAKTE_SEARCH_INDEX": index,
        "EAKTE_TEST_ES_COMPAT": "1",  # the launcher in tests/processes.py adjusts the client
    }
    return Backends(database_url, bucket, search.url, index, env)


def remove_bucket(s3_server, bucket: str) -> None:
    client = s3_server.client()
    if client.bucket_exists(bucket):
        for obj in client.list_objects(bucket, recursive=True, include_version=True):
            client.remove_object(bucket, obj.object_name, version_id=obj.version_id)
        client.remove_bucket(bucket)


def create_people(server: Server, admin: str) -> dict[str, str]:
    """Departments 32 and 50, file plan 32.10 and 50.30, rita, anna, ben and audrey of the
    town (tests/town.py), made over REST; their tokens and the admin's by username."""
    people = ("rita", "anna", "ben", "audrey")
    return {
        "admin": admin,
        **build(OverHttp(server), admin, departments=("32", "50"), people=people),
    }
