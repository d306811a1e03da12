"""The `eakte` command as an operator uses it: real processes, real databases."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import years_ago
from tests.integration.support import eakte, operator_env


def test_init_creates_instance_keys_schema_and_prints_only_the_admin_token(instance_env, tmp_path):
    assert instance_env["ADMIN_TOKEN"].startswith("eakte_")
    assert "\n" not in instance_env["ADMIN_TOKEN"]
    instance = tmp_path / "instance"
    for secret in ("keyring.json", "secret_key"):
        assert stat.S_IMODE((instance / secret).stat().st_mode) == 0o600
    again = eakte(instance_env, "init")
    assert again.returncode == 0
    assert again.stdout == ""  # no second admin token
    assert "exists already" in again.stderr


def test_operator_commands_set_up_a_clerk_with_a_working_token(instance_env):
    assert (
        eakte(instance_env, "principal", "add", "anna", "--display-name", "Anna Schmidt").returncode
        == 0
    )
    assert eakte(instance_env, "principal", "add", "fachverfahren", "--service").returncode == 0
    assert eakte(instance_env, "role", "grant", "anna", "records_manager").returncode == 0
    created = eakte(instance_env, "token", "create", "anna", "--days", "7")
    assert created.returncode == 0
    assert created.stdout.count("\n") == 1 and created.stdout.startswith("eakte_")
    from eakte import create_app
    from eakte.config import Settings
    from tests.helpers import ApiClient

    app = create_app(Settings.from_env(instance_env))
    me = ApiClient(app.test_client(), created.stdout.strip()).get("/principals/anna").get_json()
    assert me["roles"] == ["records_manager"]
    assert me["display_name"] == "Anna Schmidt"
    app.extensions["eakte"].session_factory.kw["bind"].dispose()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("token", "create", "nobody"), "principal 'nobody' not found"),
        (
            ("member", "add", "admin", "--department", "99", "--role", "clerk"),
            "unknown department '99'",
        ),
        (("principal", "add", "Bad Name"), "invalid username"),
        (("principal", "add", "admin"), "exists already"),
    ],
)
def test_errors_are_one_line_on_stderr_with_a_failing_exit(instance_env, args, message):
    result = eakte(instance_env, *args)
    assert result.returncode != 0
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_bad_setting_stops_with_one_line_naming_the_variable(tmp_path):
    env = operator_env(tmp_path, "mysql://user:pw@db/eakte")
    for command in (("init",), ("serve",)):
        result = eakte(env, *command)
        assert result.returncode != 0
        assert result.stderr.strip().splitlines() == [
            "Error: configuration: EAKTE_DATABASE_URL: must start with one of sqlite://, "
            "postgresql://, postgresql+psycopg:// (got scheme 'mysql')"
        ]


def test_serve_refuses_an_uninitialised_database(tmp_path):
    result = eakte(operator_env(tmp_path, f"sqlite:///{tmp_path}/empty.db"), "serve")
    assert result.returncode != 0
    assert "run `eakte init` first" in result.stderr


def test_demo_loads_a_german_municipality_once(instance_env):
    result = eakte(instance_env, "demo")
    assert result.returncode == 0, result.stderr
    assert "a.schmidt" in result.stdout
    token = next(line.split()[-1] for line in result.stdout.splitlines() if "a.schmidt" in line)
    from eakte import create_app
    from eakte.config import Settings
    from tests.helpers import ApiClient

    app = create_app(Settings.from_env(instance_env))
    anna = ApiClient(app.test_client(), token)
    titles = [c["title"] for c in anna.get("/case-files").get_json()["items"]]
    assert "Gewerbeanmeldung Bäckerei Sommer, Hauptstraße 12" in titles
    assert not any("Wohngeld" in t for t in titles)  # Sozialamt's files stay hidden
    from eakte.services.demo import DEMO_PASSWORD

    assert DEMO_PASSWORD in result.stdout
    browser = app.test_client()
    form = browser.get("/anmelden").get_data(as_text=True)
    csrf = form.split('name="csrf" value="')[1].split('"')[0]
    signed_in = browser.post(
        "/anmelden", data={"csrf": csrf, "benutzername": "a.schmidt", "passwort": DEMO_PASSWORD}
    )
    assert signed_in.status_code == 302
    assert "Gewerbeanmeldung Bäckerei Sommer" in browser.get("/akten").get_data(as_text=True)
    app.extensions["eakte"].session_factory.kw["bind"].dispose()
    again = eakte(instance_env, "demo")  # the demo users exist now: refused
    assert again.returncode != 0 and "only on a fresh instance" in again.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(base: str, method: str, path: str, token: str | None = None, body: dict | None = None):
    request = urllib.request.Request(base + path, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, data=data, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


NAMED = {"display_name": "Rita Wagner"}


def test_served_product_walk_through(instance_env, tmp_path):
    """What the README promises: serve, then set up 32/50, anna and ben, over real HTTP."""
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "eakte", "serve", "--port", str(port), "--workers", "1"],
            env=instance_env,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _call(base, "GET", "/health")[0] == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "server did not come up within 60 s"
            time.sleep(0.2)
        admin = instance_env["ADMIN_TOKEN"]
        assert (
            _call(base, "POST", "/departments", admin, {"code": "32", "name": "Ordnungsamt"})[0]
            == 201
        )
        assert (
            _call(base, "POST", "/departments", admin, {"code": "50", "name": "Sozialamt"})[0]
            == 201
        )
        # An admin is never a records manager: rita builds the file plan.
        assert _call(base, "POST", "/principals", admin, {"username": "rita"} | NAMED)[0] == 201
        assert (
            _call(base, "POST", "/principals/rita/roles", admin, {"role": "records_manager"})[0]
            == 201
        )
        # Tokens for users come from the operator (admins mint them only for service accounts).
        rita = eakte(instance_env, "token", "create", "rita").stdout.strip()
        assert (
            _call(
                base,
                "POST",
                "/file-plan",
                rita,
                {
                    "code": "32.10",
                    "title": "Gewerbe",
                    "retention_years": 10,
                    "disposition": "archive",
                },
            )[0]
            == 201
        )
        tokens = {}
        for name, department in (("anna", "32"), ("ben", "50")):
            assert (
                _call(base, "POST", "/principals", admin, {"username": name, "display_name": name})[
                    0
                ]
                == 201
            )
            assert (
                _call(
                    base,
                    "POST",
                    f"/principals/{name}/memberships",
                    admin,
                    {"department": department, "role": "clerk"},
                )[0]
                == 201
            )
            tokens[name] = eakte(instance_env, "token", "create", name).stdout.strip()
        status, case_file = _call(
            base,
            "POST",
            "/case-files",
            tokens["anna"],
            {"file_plan": "32.10", "department": "32", "title": "Gewerbeanmeldung"},
        )
        year = dt.datetime.now(dt.UTC).year
        assert (status, case_file["reference"]) == (201, f"32.10-0001/{year}")
        assert _call(base, "GET", f"/case-files/{case_file['id']}", tokens["ben"])[0] == 404
        assert _call(base, "GET", "/case-files", tokens["ben"])[1] == {"items": [], "next": None}
        status, closed = _call(base, "POST", f"/case-files/{case_file['id']}/close", tokens["anna"])
        assert (status, closed["retain_until"]) == (200, f"{year + 10}-12-31")
    finally:
        server.terminate()
        server.wait(timeout=30)


def _file_a_document(env: dict[str, str], data: bytes) -> str:
    """Set up 32 and 32.10 with a clerk and a records manager (the operator's way, as the
    README shows) and file one document as the clerk; return its id. The clerk's token
    is left in env["CLERK_TOKEN"]."""
    from eakte import create_app
    from eakte.config import Settings
    from tests.api.support import upload
    from tests.helpers import ApiClient

    app = create_app(Settings.from_env(env))
    admin = ApiClient(app.test_client(), env["ADMIN_TOKEN"])
    admin.post("/departments", {"code": "32", "name": "Ordnungsamt"})
    for command in (
        ("principal", "add", "rita"),
        ("role", "grant", "rita", "records_manager"),
        ("principal", "add", "anna"),
        ("member", "add", "anna", "--department", "32", "--role", "clerk"),
    ):
        assert eakte(env, *command).returncode == 0
    rita = ApiClient(app.test_client(), eakte(env, "token", "create", "rita").stdout.strip())
    env["CLERK_TOKEN"] = eakte(env, "token", "create", "anna").stdout.strip()
    anna = ApiClient(app.test_client(), env["CLERK_TOKEN"])
    rita.post(
        "/file-plan",
        {"code": "32.10", "title": "Gewerbe", "retention_years": 10, "disposition": "archive"},
    )
    case_file = anna.post(
        "/case-files", {"file_plan": "32.10", "department": "32", "title": "Antrag"}
    ).get_json()
    document = upload(anna, case_file["id"], data).get_json()
    app.extensions["eakte"].session_factory.kw["bind"].dispose()
    return document["id"]


def _download(env: dict[str, str], document_id: str):
    from eakte import create_app
    from eakte.config import Settings
    from tests.helpers import ApiClient

    app = create_app(Settings.from_env(env))
    response = ApiClient(app.test_client(), env["CLERK_TOKEN"]).get(
        f"/documents/{document_id}/content"
    )
    app.extensions["eakte"].session_factory.kw["bind"].dispose()
    return response


def test_keys_rotate_verify_storage_and_sweep(instance_env, tmp_path):
    data = os.urandom(300_000)
    document_id = _file_a_document(instance_env, data)
    keyring = json.loads((tmp_path / "instance" / "keyring.json").read_text())

    rotated = eakte(instance_env, "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    assert "1 data keys re-wrapped" in rotated.stderr
    after = json.loads((tmp_path / "instance" / "keyring.json").read_text())
    assert after["active"] != keyring["active"]
    assert stat.S_IMODE((tmp_path / "instance" / "keyring.json").stat().st_mode) == 0o600
    assert eakte(instance_env, "keys", "retire", keyring["active"]).returncode == 0
    assert _download(instance_env, document_id).data == data

    verified = eakte(instance_env, "verify-storage")
    assert verified.returncode == 0 and "1 versions checked, 0 failed" in verified.stderr

    (stored,) = (tmp_path / "instance" / "objects").rglob("*-*-*-*-*")
    damaged = bytearray(stored.read_bytes())
    damaged[100] ^= 1
    stored.write_bytes(bytes(damaged))
    failed = eakte(instance_env, "verify-storage")
    assert failed.returncode == 1
    assert failed.stdout.startswith("FAILED ")

    swept = eakte(instance_env, "sweep", "--grace-hours", "1")
    assert swept.returncode == 0 and "0 orphaned objects removed" in swept.stderr
    assert stored.exists()  # referenced by its version row: never swept


def test_the_worker_seals_new_events_within_seconds(instance_env):
    from sqlalchemy import text

    from eakte.config import Settings
    from eakte.db import make_engine

    worker = subprocess.Popen(
        [sys.executable, "-m", "eakte", "worker", "--interval", "0.2"],
        env=instance_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    engine = make_engine(Settings.from_env(instance_env).database_url)
    try:
        assert eakte(instance_env, "principal", "add", "nina").returncode == 0
        deadline = time.monotonic() + 30
        while True:
            with engine.connect() as conn:
                unsealed = conn.execute(
                    text("SELECT count(*) FROM audit_event WHERE seq IS NULL")
                ).scalar()
                checkpoints = conn.execute(text("SELECT count(*) FROM audit_checkpoint")).scalar()
            if unsealed == 0 and checkpoints > 0:
                break
            assert time.monotonic() < deadline, "events not sealed and checkpointed within 30 s"
            time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        engine.dispose()
    assert worker.returncode == 0


def test_audit_checkpoint_and_online_verify(instance_env):
    made = eakte(instance_env, "audit", "checkpoint")
    assert made.returncode == 0, made.stderr
    checkpoint = json.loads(made.stdout)
    assert checkpoint["tree_size"] >= 1 and checkpoint["signature"]
    verified = eakte(instance_env, "audit", "verify")
    assert verified.returncode == 0, verified.stdout
    assert json.loads(verified.stdout)["ok"] is True
    partial = eakte(instance_env, "audit", "verify", "--export", __file__)
    assert (
        partial.returncode != 0
        and "needs --export, --checkpoints and --public-key" in partial.stderr
    )


def test_worker_indexes_uploads_and_reindex_swaps_the_index(instance_env):
    """A real `eakte worker` makes an upload findable; `eakte reindex` rebuilds beside it."""
    import io

    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart

    from eakte import create_app
    from eakte.config import Settings

    logins = eakte(instance_env, "demo").stdout
    token = next(line.split()[-1] for line in logins.splitlines() if "a.schmidt" in line)
    app = create_app(Settings.from_env(instance_env))
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    case_file = client.get("/api/v1/case-files", headers=auth).get_json()["items"][0]
    boundary, body = encode_multipart(
        MultiDict({"file": FileStorage(io.BytesIO(b"Die Baugenehmigungen liegen vor."), "a.txt")})
    )
    uploaded = client.post(
        f"/api/v1/case-files/{case_file['id']}/documents",
        data=body,
        headers=auth,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert uploaded.status_code == 201

    def hits() -> list[str]:
        response = client.get("/api/v1/search?q=Baugenehmigung", headers=auth)
        assert response.status_code == 200
        return [hit["document"] for hit in response.get_json()["items"]]

    worker = subprocess.Popen(
        [sys.executable, "-m", "eakte", "worker"],
        env=instance_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while hits() != [uploaded.get_json()["id"]]:
            assert time.monotonic() < deadline, "the upload was not findable within 60 s"
            time.sleep(0.1)
        live = os.readlink(Path(instance_env["EAKTE_INSTANCE_PATH"]) / "search" / "current")
        result = eakte(instance_env, "reindex")
        assert result.returncode == 0, result.stderr
        from eakte.services.demo import DOCUMENTS

        assert f"indexed {len(DOCUMENTS) + 1} document(s)" in result.stderr
        swapped = os.readlink(Path(instance_env["EAKTE_INSTANCE_PATH"]) / "search" / "current")
        assert swapped != live
        assert hits() == [uploaded.get_json()["id"]]
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        app.extensions["eakte"].session_factory.kw["bind"].dispose()
    assert worker.returncode == 0


def test_retention_run_from_cron_proposes_once(instance_env):
    from eakte import create_app
    from eakte.config import Settings

    logins = eakte(instance_env, "demo").stdout
    token = next(line.split()[-1] for line in logins.splitlines() if "b.yilmaz" in line)
    app = create_app(Settings.from_env(instance_env))
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    files = client.get("/api/v1/case-files", headers=auth).get_json()["items"]
    wohngeld = next(f for f in files if f["file_plan"] == "50.30")
    with years_ago(app):  # closed long ago: due today
        path = f"/api/v1/case-files/{wohngeld['id']}/close"
        due = client.post(path, headers=auth).get_json()
    body = {"file_plan": "50.30", "department": "50", "title": "Wohngeld Familie Winter"}
    recent = client.post("/api/v1/case-files", json=body, headers=auth).get_json()
    later = client.post(f"/api/v1/case-files/{recent['id']}/close", headers=auth).get_json()
    app.extensions["eakte"].session_factory.kw["bind"].dispose()
    as_of = (dt.date.fromisoformat(due["retain_until"]) + dt.timedelta(days=1)).isoformat()
    future = (dt.date.fromisoformat(later["retain_until"]) + dt.timedelta(days=1)).isoformat()

    # A day after today: a preview only; a real run is refused in one line.
    refused = eakte(instance_env, "retention", "run", "--as-of", future)
    assert refused.returncode != 0 and refused.stdout == ""
    assert refused.stderr.count("\n") == 1 and "dry run" in refused.stderr
    dry = eakte(instance_env, "retention", "run", "--as-of", future, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout == ""
    assert "would propose 2 case file(s)" in dry.stderr
    first = eakte(instance_env, "retention", "run", "--as-of", as_of)
    assert first.returncode == 0, first.stderr
    assert len(first.stdout.split()) == 1  # the proposal's id
    assert "proposed 1 case file(s) in 1 proposal(s)" in first.stderr
    again = eakte(instance_env, "retention", "run", "--as-of", as_of)
    assert again.returncode == 0 and again.stdout == ""
    assert "proposed 0 case file(s)" in again.stderr
    bad = eakte(instance_env, "retention", "run", "--as-of", "31.12.2030")
    assert bad.returncode == 2 and "YYYY-MM-DD" not in bad.stdout
