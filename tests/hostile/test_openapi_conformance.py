"""Schemathesis over the whole OpenAPI document the app serves, in process (WSGI).

Every operation gets generated requests — valid ones and deliberately invalid ones
(wrong types, missing fields, out-of-range values) — from several callers: the
admin, a clerk of department 32, a records manager, an auditor and nobody (no
token). Path parameters are either generated or name real objects seeded first
(a case file with a process, a document, a grant, a legal hold, a disposition
proposal, …), so requests reach the code behind the 404s. Every answer must be
no server error and exactly what the document promises: a documented status,
content type, headers and body schema (problem+json for errors).

Operations are tested in groups by their tag, each group on a fresh instance.
Generation is derandomized (the same requests on every run) and bounded so the
module takes well under a minute on a two-core machine.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.datastructures import FileStorage

from tests.helpers import ApiClient, years_ago

# Not `positive_data_acceptance`: schema-valid requests are refused for business reasons
# the schema cannot express (unknown department, control characters, password policy).
CHECKS = [
    not_a_server_error,
    negative_data_rejection,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Examples per operation and generation mode; half of them aim at the seeded objects.
EXAMPLES = {GenerationMode.POSITIVE: 6, GenerationMode.NEGATIVE: 4}
GROUPS = {
    "outer": ("health", "departments", "file_plan", "search"),
    "principals": ("principals",),
    "case_files": ("case_files",),
    "documents": ("documents",),
    "retention": ("retention",),
    "audit": ("audit",),
}
ROLES = ("admin", "anna", "rita", "audrey", "nobody")


def upload(who: ApiClient, case_file_id: str, data: bytes, filename: str) -> dict:
    from tests.api.support import post_multipart

    fields = {"file": FileStorage(io.BytesIO(data), filename)}
    response = post_multipart(who, f"/case-files/{case_file_id}/documents", fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def seed(town: Any) -> dict[str, Any]:
    """Real objects for every kind of path parameter; `victor` takes the destructive calls."""
    town.person("victor", member=("32", "clerk"), roles=["auditor"])
    from eakte.services.tokens import create_token

    victor_token = str(create_token(town.system, "victor")[1].id)
    case_file = town.case_file(title="Gewerbeanmeldung Café Müller")
    process = town.anna.post(
        f"/case-files/{case_file['id']}/processes", {"title": "Anhörung"}
    ).get_json()
    document = upload(
        town.anna, case_file["id"], "Bescheid über die Gewerbeanmeldung".encode(), "bescheid.txt"
    )
    grant = town.lea.post(
        f"/case-files/{case_file['id']}/grants", {"department": "50", "permission": "read"}
    ).get_json()
    hold = town.rita.post(
        "/legal-holds", {"case_file": case_file["id"], "reason": "Verfahren anhängig"}
    ).get_json()
    with years_ago(town.client):  # closed long ago: due today
        old = town.case_file(town.ben, title="Wohngeld Sommer", file_plan="50.30", department="50")
        closed = town.ben.post(f"/case-files/{old['id']}/close").get_json()
    as_of = dt.date.fromisoformat(closed["retain_until"]) + dt.timedelta(days=1)
    ran = town.rita.post("/retention/run", {"as_of": as_of.isoformat()}).get_json()
    [proposal_id] = ran["proposals"]
    return {
        "victor_token": victor_token,
        "case_file_id": case_file["id"],
        "process_id": process["id"],
        "document_id": document["id"],
        "grant_id": grant["id"],
        "hold_id": hold["id"],
        "proposal_id": proposal_id,
    }


def real_path_parameters(path: str, objects: dict[str, Any]) -> dict[str, Any]:
    values = {
        "username": "victor",
        "department": "32",
        "role": "auditor",
        "token_id": objects["victor_token"],
        "code": "32.10" if path.startswith("/api/v1/file-plan") else "32",
        "case_file_id": objects["case_file_id"],
        "grant_id": objects["grant_id"],
        "document_id": objects["document_id"],
        "number": 1,
        "hold_id": objects["hold_id"],
        "proposal_id": objects["proposal_id"],
        "seq": 1,
    }
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    missing = [name for name in names if name not in values]
    assert not missing, f"no seeded object for path parameter(s) {missing} of {path}"
    return {name: values[name] for name in names}


def test_the_groups_cover_every_tag(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    tags = {
        operation["tags"][0]
        for item in spec["paths"].values()
        for method, operation in item.items()
        if method != "parameters"
    }
    assert tags == {tag for group in GROUPS.values() for tag in group}


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_every_answer_is_documented_and_no_server_error(app, town, group):
    objects = seed(town)
    tokens = {name: getattr(town, name).token for name in ROLES if name != "nobody"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if result.ok().definition.raw["tags"][0] in GROUPS[group]
    ]
    assert operations
    failures: list[str] = []
    for operation in operations:
        path = operation.full_path
        real = real_path_parameters(path, objects) if "{" in path else None
        for mode, examples in EXAMPLES.items():
            if mode is GenerationMode.NEGATIVE and not _can_be_negative(operation):
                continue
            strategies = [operation.as_strategy(generation_mode=mode)]
            if real:
                strategies.append(operation.as_strategy(generation_mode=mode, path_parameters=real))
            strategy = st.one_of(strategies)

            @settings(
                max_examples=examples,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy, role=st.sampled_from(ROLES))
            def call(case: schemathesis.Case, role: str) -> None:
                headers = {"Authorization": f"Bearer {tokens[role]}"} if role in tokens else {}
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                call()
            except (Exception, BaseExceptionGroup) as error:  # schemathesis' FailureGroup
                failures.append(f"{operation.label} ({mode.value}):\n{error}")
    assert not failures, "\n\n".join(failures)


def _can_be_negative(operation: schemathesis.APIOperation) -> bool:
    """Operations without parameters or body have nothing to get wrong."""
    raw = operation.definition.raw
    return bool(raw.get("parameters") or raw.get("requestBody") or "{" in operation.path)
