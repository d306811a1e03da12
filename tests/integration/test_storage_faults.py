"""The object store failing or refusing: clear answers, and nothing already stored is lost."""

from __future__ import annotations

import datetime as dt
import io
import os

import pytest
from minio.commonconfig import COMPLIANCE
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests.conftest import s3_settings
from tests.helpers import assert_problem, table_counts, years_ago


def _multipart(data: bytes) -> tuple[str, bytes]:
    return encode_multipart(MultiDict({"file": FileStorage(io.BytesIO(data), "bescheid.pdf")}))


def _upload(who, case_file_id, data: bytes):
    boundary, body = _multipart(data)
    return who.client.post(
        f"/api/v1/case-files/{case_file_id}/documents",
        data=body,
        headers={"Authorization": f"Bearer {who.token}"},
        content_type=f"multipart/form-data; boundary={boundary}",
    )


class TestS3Down:
    """A SeaweedFS server of its own, stopped and started again during the test."""

    @pytest.fixture
    def s3(self, tmp_path):
        from tests.s3server import start_s3_server

        server = start_s3_server(tmp_path / "s3")
        yield server
        server.stop(graceful=False)

    @pytest.fixture
    def storage_env(self, s3):
        return s3_settings(s3, "akten")

    def test_503_with_retry_after_while_down_and_recovery_without_restart(
        self, town, s3, ports, client
    ):
        case_file = town.case_file()
        before_outage = os.urandom(200_000)
        stored = _upload(town.anna, case_file["id"], before_outage).get_json()

        s3.stop(graceful=False)
        rows = table_counts(ports)
        down = _upload(town.anna, case_file["id"], os.urandom(1000))
        assert_problem(down, 503, "dependency-unavailable")
        assert int(down.headers["Retry-After"]) > 0
        assert table_counts(ports) == rows  # no row without its object
        fetch = town.anna.get(f"/documents/{stored['id']}/content")
        assert_problem(fetch, 503, "dependency-unavailable")
        ready = client.get("/api/v1/health/ready")
        assert ready.status_code == 503
        assert ready.get_json()["checks"] == {
            "database": "ok",
            "storage": "dependency-unavailable",
            "search": "ok",
        }

        s3.start()
        assert town.anna.get(f"/documents/{stored['id']}/content").data == before_outage
        assert _upload(town.anna, case_file["id"], b"danach").status_code == 201
        assert client.get("/api/v1/health/ready").status_code == 200

    def test_a_handover_interrupted_by_the_store_resumes_without_loss(
        self, town, s3, ports, system
    ):
        from eakte.services import disposition_execution, retention

        rolf = town.person("rolf", roles=["records_manager"])
        data = os.urandom(100_000)
        with years_ago(town.client):  # closed long ago: due today
            case_file = town.case_file()
            document = _upload(town.anna, case_file["id"], data).get_json()
            closed = town.anna.post(f"/case-files/{case_file['id']}/close").get_json()
        as_of = dt.date.fromisoformat(closed["retain_until"]) + dt.timedelta(days=1)
        [proposal_id] = retention.run_retention(system, as_of=as_of).proposals
        town.rita.post(f"/disposition/proposals/{proposal_id}/approve")

        s3.stop(graceful=False)
        deciding = rolf.post(f"/disposition/proposals/{proposal_id}/approve").get_json()
        assert deciding["status"] == "executing"  # nothing half-done, nothing lost
        assert [item["state"] for item in deciding["items"]] == ["proposed"]

        s3.start()
        assert town.anna.get(f"/documents/{document['id']}/content").data == data
        disposition_execution.resume_executions(ports)  # what the worker does every minute
        resumed = town.rita.get(f"/disposition/proposals/{proposal_id}").get_json()
        assert resumed["status"] == "awaiting_archive"
        assert [item["state"] for item in resumed["items"]] == ["exported"]


class TestObjectLock:
    @pytest.fixture
    def storage_env(self, s3_server):
        # Locked objects cannot be cleaned up: a bucket of its own, left to the server's tmp dir.
        bucket = f"locked-{os.urandom(4).hex()}"
        return {**s3_settings(s3_server, bucket), "EAKTE_S3_OBJECT_LOCK": "compliance"}

    def test_versions_are_written_worm_and_survive_a_delete(self, town, ports, s3_server):
        case_file = town.case_file()  # file plan 32.10 keeps files 10 years
        data = os.urandom(50_000)
        document = _upload(town.anna, case_file["id"], data).get_json()
        store = ports.blob_store
        with ports.session_factory() as session:
            from eakte.models import DocumentVersion

            key = session.query(DocumentVersion).one().object_key
        retention = s3_server.client().get_object_retention(store.bucket, key)
        assert retention.mode == COMPLIANCE
        assert retention.retain_until_date.date() >= dt.date.today().replace(
            year=dt.date.today().year + 10, day=min(dt.date.today().day, 28)
        )
        store.delete(key)  # S3 refuses to remove a locked version: it stays
        assert town.anna.get(f"/documents/{document['id']}/content").data == data

    def test_audit_checkpoint_copies_are_written_worm_for_thirty_years(
        self, town, ports, s3_server
    ):
        from eakte.services.audit_queries import checkpoint_now

        town.case_file()  # events to seal
        checkpoint = checkpoint_now(town.system)
        retention = s3_server.client().get_object_retention(
            ports.blob_store.bucket, checkpoint.object_key
        )
        assert retention.mode == COMPLIANCE
        issued = checkpoint.issued_at.date()
        assert retention.retain_until_date.date() == dt.date(issued.year + 30, issued.month, 1)

    def test_closing_and_holds_are_mirrored_onto_the_objects(self, town, ports, s3_server):
        case_file = town.case_file()
        _upload(town.anna, case_file["id"], os.urandom(1000))
        with ports.session_factory() as session:
            from eakte.models import DocumentVersion

            key = session.query(DocumentVersion).one().object_key
        client, bucket = s3_server.client(), ports.blob_store.bucket
        closed = town.anna.post(f"/case-files/{case_file['id']}/close").get_json()
        retain_until = dt.date.fromisoformat(closed["retain_until"])
        locked = client.get_object_retention(bucket, key).retain_until_date
        assert locked.date() > retain_until  # to the end of the last day kept
        assert not client.is_object_legal_hold_enabled(bucket, key)
        hold = town.rita.post(
            "/legal-holds", {"case_file": case_file["id"], "reason": "Klage"}
        ).get_json()
        assert client.is_object_legal_hold_enabled(bucket, key)
        town.rita.post(f"/legal-holds/{hold['id']}/release", {"reason": "erledigt"})
        assert not client.is_object_legal_hold_enabled(bucket, key)


def test_a_client_that_disconnects_mid_upload_leaves_no_row_and_no_object(town, ports):
    case_file = town.case_file()
    boundary, body = _multipart(os.urandom(300_000))
    before = table_counts(ports)
    response = town.anna.client.post(
        f"/api/v1/case-files/{case_file['id']}/documents",
        data=body[: len(body) // 2],
        headers={"Authorization": f"Bearer {town.anna.token}"},
        content_type=f"multipart/form-data; boundary={boundary}",
        environ_overrides={"CONTENT_LENGTH": str(len(body))},
    )
    assert_problem(response, 400)
    assert table_counts(ports) == before
    tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert list(ports.blob_store.keys_older_than("v1", tomorrow)) == []
