"""Handing case files to the archive: xdomea 0503 packages, the archive's confirmation, 410 after.

The package's XML is checked for the structure xdomea 3.1.0 mandates here; its
full schema validation is in tests/unit/test_xdomea.py (with the official XSDs
when EAKTE_XDOMEA_XSD_DIR points at them).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import zipfile
from xml.etree import ElementTree

import pytest
from werkzeug.datastructures import FileStorage

from eakte.evidence.signing import verify_signature
from eakte.services import disposition_execution, retention
from tests.api.support import add_version, post_multipart
from tests.helpers import assert_problem, audit_events, years_ago

NS = {"x": "urn:xoev-de:xdomea:schema:3.1.0"}


@pytest.fixture
def rolf(town):
    return town.person("rolf", roles=["records_manager"])


def upload(who, case_file_id: str, text: str, filename: str, **form):
    fields = {"file": FileStorage(io.BytesIO(text.encode()), filename), **form}
    response = post_multipart(who, f"/case-files/{case_file_id}/documents", fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def archive_file(town, title: str = "Gewerbeanmeldung Bäckerei Sommer & Söhne"):
    """A closed 32.10 file (10 years, then archive) with a process, loose documents, versions,
    made and closed 12 years ago: due today."""
    with years_ago(town.client):
        return _archive_file(town, title)


def _archive_file(town, title: str):
    case_file = town.case_file(title=title)
    process = town.anna.post(
        f"/case-files/{case_file['id']}/processes", {"title": "Anmeldung prüfen"}
    ).get_json()
    first = upload(town.anna, case_file["id"], "Gewerbeanmeldung", "anmeldung.txt")
    in_process = upload(
        town.anna, case_file["id"], "Prüfvermerk", "vermerk.txt", process=process["id"]
    )
    assert add_version(town.anna, first["id"], b"Gewerbeanmeldung, berichtigt").status_code == 201
    closed = town.anna.post(f"/case-files/{case_file['id']}/close").get_json()
    return closed, [first, in_process]


def approved_archive_proposal(town, system, rolf, files):
    as_of = max(dt.date.fromisoformat(f["retain_until"]) for f in files) + dt.timedelta(days=1)
    [proposal_id] = retention.run_retention(system, as_of=as_of).proposals
    town.rita.post(f"/disposition/proposals/{proposal_id}/approve")
    answer = rolf.post(f"/disposition/proposals/{proposal_id}/approve")
    assert answer.status_code == 200
    return proposal_id, answer.get_json()


def read_zip(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.get_data()))


def check_package(package: zipfile.ZipFile, process_id: str, documents: dict[str, bytes]) -> None:
    """The structure xdomea 3.1.0 mandates, and every referenced file in the zip."""
    message_name = f"{process_id}_Aussonderung.Aussonderung.0503.xml"
    assert message_name in package.namelist()
    root = ElementTree.fromstring(package.read(message_name))
    assert root.tag == "{urn:xoev-de:xdomea:schema:3.1.0}Aussonderung.Aussonderung.0503"
    assert root.findtext("x:Kopf/x:ProzessID", namespaces=NS) == process_id
    assert root.findtext("x:Kopf/x:Nachrichtentyp/code", namespaces=NS) == "0503"
    named = {
        element.text for element in root.iterfind(".//x:Primaerdokument/x:Dateiname", namespaces=NS)
    }
    members = set(package.namelist()) - {message_name}
    assert named == members
    contents = {hashlib.sha256(package.read(name)).hexdigest() for name in members}
    assert contents == {hashlib.sha256(data).hexdigest() for data in documents.values()}


def test_archive_proposal_hands_over_then_destroys_on_confirmation(
    town,
    ports,
    system,
    rolf,
) -> None:
    closed, documents = archive_file(town)
    proposal_id, answer = approved_archive_proposal(town, system, rolf, [closed])
    assert answer["status"] == "awaiting_archive"
    assert [item["state"] for item in answer["items"]] == ["exported"]
    # Until the archive confirms, the file is still here.
    assert town.anna.get(f"/documents/{documents[0]['id']}/content").status_code == 200

    response = town.rita.get(f"/disposition/proposals/{proposal_id}/export")
    expected = f'attachment; filename="{proposal_id}_Aussonderung.Aussonderung.0503.zip"'
    assert response.headers["Content-Disposition"] == expected
    package = read_zip(response)
    check_package(
        package,
        str(proposal_id),
        {
            "v1": b"Gewerbeanmeldung",
            "v2": b"Gewerbeanmeldung, berichtigt",
            "vermerk": "Prüfvermerk".encode(),
        },
    )
    root = ElementTree.fromstring(package.read(f"{proposal_id}_Aussonderung.Aussonderung.0503.xml"))
    akte = root.find("x:Schriftgutobjekt/x:Akte", NS)
    assert (
        akte.findtext("x:AllgemeineMetadaten/x:Kennzeichen", namespaces=NS) == closed["reference"]
    )
    assert akte.findtext("x:AllgemeineMetadaten/x:Betreff", namespaces=NS) == closed["title"]
    assert akte.find(".//x:Vorgang", NS) is not None

    unknown = {"not_imported": ["99.99-0001/2026"]}
    assert_problem(
        town.rita.post(f"/disposition/proposals/{proposal_id}/archive-confirmation", unknown), 422
    )
    assert_problem(
        town.anna.post(f"/disposition/proposals/{proposal_id}/archive-confirmation", {}), 403
    )
    done = town.rita.post(f"/disposition/proposals/{proposal_id}/archive-confirmation", {})
    assert done.status_code == 200
    assert done.get_json()["status"] == "completed"
    problem = assert_problem(town.anna.get(f"/documents/{documents[0]['id']}"), 410, "gone")
    assert "handed over to the archive" in problem["detail"]
    assert_problem(town.rita.get(f"/disposition/proposals/{proposal_id}/export"), 404)
    certificate = town.rita.get(f"/disposition/proposals/{proposal_id}/certificate").get_json()
    signed = certificate["certificate"].encode()
    assert verify_signature(
        certificate["public_key"], signed, base64.b64decode(certificate["signature"])
    )
    content = json.loads(signed)
    assert content["type"] == "eakte.handover-certificate"
    assert content["package_sha256"] == hashlib.sha256(response.get_data()).hexdigest()
    assert len(content["case_files"][0]["destroyed"]) == 3
    pdf = town.rita.get(
        f"/disposition/proposals/{proposal_id}/certificate", query_string={"format": "pdf"}
    )
    assert pdf.mimetype == "application/pdf"
    assert pdf.get_data().startswith(b"%PDF")
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf.get_data())
    text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    assert "Übergabe- und Vernichtungsnachweis" in text
    assert closed["reference"] in text and "rita" in text and "rolf" in text
    assert certificate["signature"][:40] in text.replace("\r\n", "").replace("\n", "")
    assert town.audrey.get("/audit/verify").get_json()["ok"] is True


def test_what_the_archive_did_not_take_stays(town, system, rolf) -> None:
    kept, kept_documents = archive_file(town, title="Akte A")
    gone, gone_documents = archive_file(town, title="Akte B")
    proposal_id, _ = approved_archive_proposal(town, system, rolf, [kept, gone])
    done = town.rita.post(
        f"/disposition/proposals/{proposal_id}/archive-confirmation",
        {"not_imported": [kept["reference"]]},
    ).get_json()
    states = {item["reference"]: (item["state"], item["note"]) for item in done["items"]}
    assert states[kept["reference"]][0] == "skipped"
    assert "did not take it over" in states[kept["reference"]][1]
    assert states[gone["reference"]][0] == "destroyed"
    assert town.anna.get(f"/documents/{kept_documents[0]['id']}/content").status_code == 200
    assert_problem(town.anna.get(f"/documents/{gone_documents[0]['id']}/content"), 410)


EXPORTED = {
    "v1": b"Gewerbeanmeldung",
    "v2": b"Gewerbeanmeldung, berichtigt",
    "vermerk": "Prüfvermerk".encode(),
}


def export(who, case_file_id: str):
    return who.get(f"/case-files/{case_file_id}/export", query_string={"format": "xdomea"})


def check_one_file_package(response) -> None:
    package = read_zip(response)
    filename = response.headers["Content-Disposition"].split('"')[1]
    check_package(package, filename.removesuffix("_Aussonderung.Aussonderung.0503.zip"), EXPORTED)


def denials(ports, case_file_id: str) -> list[str]:
    return [
        event.actor
        for event in audit_events(ports, action="case_file.export", object_id=case_file_id)
        if event.outcome == "denied"
    ]


def test_a_lead_of_the_owning_department_exports_one_file(town, ports) -> None:
    closed, _ = archive_file(town)
    check_one_file_package(export(town.lea, closed["id"]))
    [event] = [
        e
        for e in audit_events(ports, action="case_file.export", object_id=closed["id"])
        if e.outcome == "allowed"
    ]
    assert (event.actor, event.details["basis"]) == ("lea", "lead")
    # Members below lead may know the file but not take its content out: 403.
    assert "lead" in assert_problem(export(town.anna, closed["id"]), 403)["detail"]
    assert_problem(export(town.carla, closed["id"]), 403)
    # Other departments and the auditor may not know it exists: 404.
    assert_problem(export(town.bea, closed["id"]), 404)
    assert_problem(export(town.audrey, closed["id"]), 404)
    assert denials(ports, closed["id"]) == ["anna", "carla", "bea", "audrey"]
    assert_problem(town.lea.get(f"/case-files/{closed['id']}/export"), 422)
    assert_problem(
        town.lea.get(f"/case-files/{closed['id']}/export", query_string={"format": "pdf"}), 422
    )


def test_a_records_manager_gets_no_content_outside_an_approved_handover(
    town,
    ports,
    system,
    rolf,
) -> None:
    open_file = town.case_file(title="Gewerbeuntersagung Sommer")
    upload(town.anna, open_file["id"], "Anhörung zur Untersagung", "anhoerung.txt")
    secret = town.case_file(title="Verdacht Schwarzarbeit Winter", confidential=True)
    upload(town.anna, secret["id"], "Hinweis eines Nachbarn", "hinweis.txt")
    closed, _ = archive_file(town)
    for case_file in (open_file, secret, closed):
        problem = assert_problem(export(town.rita, case_file["id"]), 403)
        assert "metadata only" in problem["detail"]
    assert denials(ports, open_file["id"]) == ["rita"]
    assert denials(ports, secret["id"]) == ["rita"]
    # An unknown id is refused and audited too (it used to raise without an event).
    unknown = "00000000-0000-0000-0000-000000000000"
    assert_problem(export(town.rita, unknown), 404)
    assert denials(ports, unknown) == ["rita"]
    # A lead not named on a confidential file does not reach it either.
    assert_problem(export(town.lea, secret["id"]), 404)

    # One approval is not enough; after the second, the file is with the archive.
    as_of = dt.date.fromisoformat(closed["retain_until"]) + dt.timedelta(days=1)
    [proposal_id] = retention.run_retention(system, as_of=as_of).proposals
    town.rita.post(f"/disposition/proposals/{proposal_id}/approve")
    assert_problem(export(town.rita, closed["id"]), 403)
    assert rolf.post(f"/disposition/proposals/{proposal_id}/approve").get_json()["status"] == (
        "awaiting_archive"
    )
    check_one_file_package(export(town.rita, closed["id"]))
    assert_problem(export(town.rita, open_file["id"]), 403)  # still only that file
    town.rita.post(f"/disposition/proposals/{proposal_id}/archive-confirmation", {})
    assert_problem(export(town.rita, closed["id"]), 410)


def test_a_file_with_the_archive_cannot_be_reopened(town, ports, system, rolf) -> None:
    closed, documents = archive_file(town)
    proposal_id, answer = approved_archive_proposal(town, system, rolf, [closed])
    assert answer["status"] == "awaiting_archive"

    problem = assert_problem(
        town.anna.post(f"/case-files/{closed['id']}/reopen"), 409, "disposition-pending"
    )
    assert str(proposal_id) in problem["detail"] and "archive" in problem["detail"]
    [denied] = [
        e
        for e in audit_events(ports, action="case_file.reopen", object_id=closed["id"])
        if e.outcome == "denied"
    ]
    assert denied.actor == "anna"
    assert town.anna.get(f"/case-files/{closed['id']}").get_json()["status"] == "closed"
    # Nor is it proposed a second time while the archive has it.
    assert retention.run_retention(system).proposed == 0
    [due] = town.rita.get("/retention/due").get_json()["items"]
    assert due["proposed"] is True
    # Nothing could be added that the archive never received.
    assert_problem(
        post_multipart(
            town.anna,
            f"/case-files/{closed['id']}/documents",
            {"file": FileStorage(io.BytesIO(b"Nachtrag"), "nachtrag.txt")},
        ),
        409,
        "case-file-closed",
    )
    done = town.rita.post(f"/disposition/proposals/{proposal_id}/archive-confirmation", {})
    assert [item["state"] for item in done.get_json()["items"]] == ["destroyed"]
    assert_problem(town.anna.get(f"/documents/{documents[0]['id']}"), 410)


def test_the_confirmation_keeps_a_file_whose_retention_was_extended(
    town,
    system,
    rolf,
) -> None:
    closed, documents = archive_file(town)
    proposal_id, _ = approved_archive_proposal(town, system, rolf, [closed])
    # The file plan's period grows while the archive is still importing.
    assert town.rita.patch("/file-plan/32.10", {"retention_years": 30}).status_code == 200
    done = town.rita.post(f"/disposition/proposals/{proposal_id}/archive-confirmation", {})
    assert done.status_code == 200
    [item] = done.get_json()["items"]
    assert item["state"] == "skipped"
    assert "has not run out" in item["note"]
    content = town.anna.get(f"/documents/{documents[0]['id']}/content")
    assert content.status_code == 200
    assert content.data == b"Gewerbeanmeldung, berichtigt"


def test_an_interrupted_handover_resumes(town, ports, system, rolf, monkeypatch) -> None:
    """The object store failing while the package is stored (a fake failure: the S3-down
    variant is in tests/integration/test_storage_faults.py) leaves the proposal executing,
    with nothing destroyed; the worker's next pass finishes the handover."""
    from eakte.errors import StorageUnavailableError
    from eakte.services import archive_export

    closed, documents = archive_file(town)
    real = archive_export.store_package

    def store_down(*args, **kwargs):
        raise StorageUnavailableError()

    monkeypatch.setattr(archive_export, "store_package", store_down)
    _, answer = approved_archive_proposal(town, system, rolf, [closed])
    assert answer["status"] == "executing"
    assert town.anna.get(f"/documents/{documents[0]['id']}/content").status_code == 200
    monkeypatch.setattr(archive_export, "store_package", real)
    disposition_execution.resume_executions(ports)
    [proposal] = town.rita.get("/disposition/proposals").get_json()["items"]
    assert proposal["status"] == "awaiting_archive"
