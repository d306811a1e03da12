"""/api/v1/case-files: Aktenzeichen, lists, If-Match, closing, Vorgänge, bad input, idempotency."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.helpers import assert_problem, table_counts

UTC = dt.UTC
BODY = {"file_plan": "32.10", "department": "32", "title": "Gewerbeanmeldung Bäckerei Sommer"}


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


# --- create and Aktenzeichen -------------------------------------------------------------


def test_create_answers_201_with_location_etag_and_running_references(town, clock):
    clock.set(dt.datetime(2026, 5, 4, 9, 0, tzinfo=UTC))

    first = town.anna.post("/case-files", BODY)
    assert first.status_code == 201
    body = first.get_json()
    assert body["reference"] == "32.10-0001/2026"
    assert body["status"] == "open"
    assert body["department"] == "32"
    assert body["file_plan"] == "32.10"
    assert body["created_by"] == "anna"
    assert first.headers["Location"].endswith(f"/api/v1/case-files/{body['id']}")
    assert first.headers["ETag"]

    fetched = town.anna.get(f"/case-files/{body['id']}")
    assert fetched.status_code == 200
    assert fetched.get_json()["title"] == BODY["title"]
    assert fetched.headers["ETag"] == first.headers["ETag"]

    assert town.case_file()["reference"] == "32.10-0002/2026"
    # another file plan node has its own counter
    other = town.case_file(town.ben, file_plan="50.30", department="50")
    assert other["reference"] == "50.30-0001/2026"
    assert town.case_file()["reference"] == "32.10-0003/2026"


def test_the_year_is_the_berlin_calendar_year_and_closing_counts_from_its_end(town, clock):
    clock.set(dt.datetime(2026, 12, 31, 23, 30, tzinfo=UTC))  # 00:30 on 1 January 2027 in Berlin
    case_file = town.case_file()
    assert case_file["reference"] == "32.10-0001/2027"

    closed = town.anna.post(f"/case-files/{case_file['id']}/close")
    assert closed.status_code == 200
    assert closed.get_json()["status"] == "closed"
    assert closed.get_json()["closed_by"] == "anna"
    assert closed.get_json()["retain_until"] == "2037-12-31"  # 10 years after the end of 2027


# --- lists -------------------------------------------------------------------------------


def test_list_filters_by_department_status_and_file_plan(town):
    # lea leads 32 and therefore reaches 32.1 too
    in_32 = town.case_file(town.lea)
    in_32_1 = town.case_file(town.lea, department="32.1")
    other_plan = town.case_file(town.lea, file_plan="50.30")
    closed = town.case_file(town.lea)
    assert town.lea.post(f"/case-files/{closed['id']}/close").status_code == 200

    lea = town.lea
    assert set(_ids(lea.get("/case-files"))) == {
        in_32["id"],
        in_32_1["id"],
        other_plan["id"],
        closed["id"],
    }
    assert set(_ids(lea.get("/case-files?department=32.1"))) == {in_32_1["id"]}
    assert set(_ids(lea.get("/case-files?department=32"))) == {
        in_32["id"],
        other_plan["id"],
        closed["id"],
    }
    assert set(_ids(lea.get("/case-files?status=closed"))) == {closed["id"]}
    assert closed["id"] not in _ids(lea.get("/case-files?status=open"))
    assert set(_ids(lea.get("/case-files?file_plan=50.30"))) == {other_plan["id"]}
    assert _ids(lea.get("/case-files?file_plan=50.30&status=closed")) == []


def test_invalid_status_filter_is_rejected(town):
    assert_problem(town.anna.get("/case-files?status=archived"), 422, "invalid-input")


@pytest.mark.parametrize("step", [0, 1], ids=["same-instant", "one-second-apart"])
def test_cursor_pages_walk_every_case_file_exactly_once(town, clock, step):
    clock.set(dt.datetime(2026, 5, 4, 9, 0, tzinfo=UTC))
    created = []
    for number in range(5):
        created.append(town.case_file(title=f"Akte {number}")["id"])
        clock.advance(seconds=step)

    seen, pages, path = [], 0, "/case-files?limit=2"
    while path:
        response = town.anna.get(path)
        page = response.get_json()
        seen += _ids(response)
        pages += 1
        assert len(page["items"]) <= 2
        path = f"/case-files?limit=2&cursor={page['next']}" if page["next"] else None

    assert pages == 3
    assert sorted(seen) == sorted(created)
    assert len(seen) == len(set(seen))
    if step:  # newest first
        assert seen == created[::-1]


@pytest.mark.parametrize(
    "query",
    ["cursor=garbage", "limit=0", "limit=501"],
    ids=["bad-cursor", "limit-zero", "limit-too-large"],
)
def test_bad_paging_parameters_are_invalid_input(town, query):
    town.case_file()
    assert_problem(town.anna.get(f"/case-files?{query}"), 422, "invalid-input")


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        pytest.param({"extra": 1}, "#/extra", id="unknown-field"),
        pytest.param({"title": 5}, "#/title", id="title-not-a-string"),
        pytest.param({"confidential": "yes"}, "#/confidential", id="confidential-not-a-boolean"),
        pytest.param({"title": "x" * 501}, "#/title", id="title-too-long"),
        pytest.param({"title": "   "}, "#/title", id="title-blank"),
        pytest.param({"file_plan": "99.99"}, "#/file_plan", id="unknown-file-plan"),
        pytest.param({"department": "99"}, "#/department", id="unknown-department"),
    ],
)
def test_bad_input_is_rejected_with_a_pointer_and_writes_nothing(town, ports, change, pointer):
    before = table_counts(ports)
    body = assert_problem(town.anna.post("/case-files", {**BODY, **change}), 422, "invalid-input")
    assert pointer in [item.get("pointer") for item in body["errors"]]
    assert table_counts(ports) == before


def test_missing_required_fields_are_all_listed(town, ports):
    before = table_counts(ports)
    body = assert_problem(town.anna.post("/case-files", {}), 422, "invalid-input")
    pointers = {item["pointer"] for item in body["errors"]}
    assert {"#/file_plan", "#/department", "#/title"} <= pointers
    assert table_counts(ports) == before


def test_a_title_of_exactly_500_characters_is_accepted(town):
    assert town.case_file(title="x" * 500)["title"] == "x" * 500


def test_a_reader_cannot_create_and_nothing_is_written(town, ports):
    before = table_counts(ports)
    assert_problem(town.carla.post("/case-files", BODY), 403, "forbidden")
    assert table_counts(ports) == before


# --- PATCH with If-Match ----------------------------------------------------------------


def test_patch_with_the_current_etag_changes_the_title_and_the_etag(town):
    case_file = town.case_file()
    path = f"/case-files/{case_file['id']}"
    etag = town.anna.get(path).headers["ETag"]

    changed = town.anna.patch(path, {"title": "Neuer Titel"}, headers={"If-Match": etag})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["title"] == "Neuer Titel"
    assert changed.headers["ETag"] != etag
    assert town.anna.get(path).get_json()["title"] == "Neuer Titel"


def test_patch_with_a_stale_etag_fails_and_changes_nothing(town):
    case_file = town.case_file()
    path = f"/case-files/{case_file['id']}"
    stale = town.anna.get(path).headers["ETag"]
    fresh = town.anna.patch(path, {"title": "Erste Änderung"}, headers={"If-Match": stale})
    assert fresh.status_code == 200

    late = town.anna.patch(path, {"title": "Zweite Änderung"}, headers={"If-Match": stale})
    assert_problem(late, 412, "precondition-failed")
    assert town.anna.get(path).get_json()["title"] == "Erste Änderung"


def test_patch_without_if_match_is_refused(town):
    case_file = town.case_file()
    path = f"/case-files/{case_file['id']}"
    assert_problem(town.anna.patch(path, {"title": "Neu"}), 428, "precondition-required")
    assert town.anna.get(path).get_json()["title"] == case_file["title"]


def test_an_empty_patch_is_invalid_input(town):
    case_file = town.case_file()
    path = f"/case-files/{case_file['id']}"
    etag = town.anna.get(path).headers["ETag"]
    assert_problem(town.anna.patch(path, {}, headers={"If-Match": etag}), 422, "invalid-input")


# --- closed case files -------------------------------------------------------------------


def test_a_closed_case_file_can_be_read_but_not_changed(town):
    case_file = town.case_file()
    path = f"/case-files/{case_file['id']}"
    closed = town.anna.post(f"{path}/close")
    assert closed.status_code == 200
    etag = closed.headers["ETag"]

    assert_problem(
        town.anna.patch(path, {"title": "Neu"}, headers={"If-Match": etag}),
        409,
        "case-file-closed",
    )
    assert_problem(town.anna.post(f"{path}/close"), 409, "case-file-closed")
    assert_problem(
        town.anna.post(f"{path}/processes", {"title": "Anhörung"}), 409, "case-file-closed"
    )

    fetched = town.anna.get(path)
    assert fetched.status_code == 200
    body = fetched.get_json()
    assert body["status"] == "closed"
    assert body["closed_by"] == "anna"
    assert body["retain_until"]
    assert body["title"] == case_file["title"]
    assert town.anna.get(f"{path}/processes").get_json()["items"] == []


# --- Vorgänge ----------------------------------------------------------------------------


def test_processes_are_created_and_listed_in_creation_order(town, clock):
    clock.set(dt.datetime(2026, 5, 4, 9, 0, tzinfo=UTC))
    case_file = town.case_file()
    path = f"/case-files/{case_file['id']}/processes"

    created = []
    for title in ("Anhörung", "Bescheid", "Widerspruch"):
        response = town.anna.post(path, {"title": title})
        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        assert body["id"]
        assert body["case_file"] == case_file["id"]
        assert body["title"] == title
        assert body["created_by"] == "anna"
        created.append(body["id"])
        clock.advance(seconds=1)

    listed = town.anna.get(path)
    assert listed.status_code == 200
    assert [item["id"] for item in listed.get_json()["items"]] == created
    assert [item["title"] for item in listed.get_json()["items"]] == [
        "Anhörung",
        "Bescheid",
        "Widerspruch",
    ]


def test_a_reader_sees_processes_but_cannot_open_one(town, ports):
    case_file = town.case_file()
    path = f"/case-files/{case_file['id']}/processes"
    assert town.anna.post(path, {"title": "Anhörung"}).status_code == 201

    before = table_counts(ports)
    assert_problem(town.carla.post(path, {"title": "Bescheid"}), 403, "forbidden")
    assert table_counts(ports) == before
    listed = town.carla.get(path)
    assert listed.status_code == 200
    assert [item["title"] for item in listed.get_json()["items"]] == ["Anhörung"]


def test_another_department_does_not_see_the_processes(town, ports):
    case_file = town.case_file()
    path = f"/case-files/{case_file['id']}/processes"
    assert town.anna.post(path, {"title": "Anhörung"}).status_code == 201

    before = table_counts(ports)
    assert_problem(town.ben.post(path, {"title": "Bescheid"}), 404, "not-found")
    assert_problem(town.ben.get(path), 404, "not-found")
    assert table_counts(ports) == before


# --- malformed JSON ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/case-files", "/case-files/{id}/processes"])
def test_a_body_that_is_not_json_is_a_bad_request_and_writes_nothing(town, ports, path):
    case_file = town.case_file()
    before = table_counts(ports)
    response = town.anna.post(
        path.format(id=case_file["id"]), data="{bad", content_type="application/json"
    )
    assert_problem(response, 400, "bad-request")
    assert table_counts(ports) == before


# --- Idempotency-Key ---------------------------------------------------------------------


def test_the_same_post_twice_with_one_key_creates_one_case_file(town):
    headers = {"Idempotency-Key": "portal-4711"}
    first = town.anna.post("/case-files", BODY, headers=headers)
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers

    replay = town.anna.post("/case-files", BODY, headers=headers)
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_json() == first.get_json()
    assert replay.headers["Location"] == first.headers["Location"]

    assert _ids(town.anna.get("/case-files")) == [first.get_json()["id"]]
    # the counter was not consumed by the replay either
    assert town.case_file()["reference"].startswith("32.10-0002/")


def test_a_replayed_create_carries_the_etag_of_the_first_answer(town):
    headers = {"Idempotency-Key": "portal-4715"}
    first = town.anna.post("/case-files", BODY, headers=headers)
    replay = town.anna.post("/case-files", BODY, headers=headers)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.headers.get("ETag") == first.headers["ETag"]


def test_the_same_key_with_a_different_body_is_a_conflict(town):
    headers = {"Idempotency-Key": "portal-4712"}
    first = town.anna.post("/case-files", BODY, headers=headers)
    assert first.status_code == 201

    clash = town.anna.post("/case-files", {**BODY, "title": "Etwas anderes"}, headers=headers)
    assert_problem(clash, 409, "idempotency-key-conflict")
    assert _ids(town.anna.get("/case-files")) == [first.get_json()["id"]]


def test_different_users_use_the_same_key_independently(town):
    headers = {"Idempotency-Key": "shared-key"}
    annas = town.anna.post("/case-files", BODY, headers=headers)
    leas = town.lea.post("/case-files", BODY, headers=headers)
    assert annas.status_code == leas.status_code == 201
    assert "Idempotent-Replayed" not in leas.headers
    assert annas.get_json()["id"] != leas.get_json()["id"]
    assert len(_ids(town.lea.get("/case-files"))) == 2


def test_a_failed_request_does_not_burn_its_key(town, ports):
    headers = {"Idempotency-Key": "portal-4713"}
    bad = {**BODY, "file_plan": "99.99"}
    before = table_counts(ports)

    first = assert_problem(
        town.anna.post("/case-files", bad, headers=headers), 422, "invalid-input"
    )
    retry = town.anna.post("/case-files", bad, headers=headers)
    assert "Idempotent-Replayed" not in retry.headers
    assert assert_problem(retry, 422, "invalid-input")["errors"] == first["errors"]

    assert table_counts(ports) == before
    assert _ids(town.anna.get("/case-files")) == []


def test_a_request_refused_by_the_schema_does_not_burn_its_key(town):
    headers = {"Idempotency-Key": "portal-4714"}
    assert_problem(
        town.anna.post("/case-files", {**BODY, "title": 5}, headers=headers), 422, "invalid-input"
    )
    # the very same failing body is checked again, not replayed
    retry = town.anna.post("/case-files", {**BODY, "title": 5}, headers=headers)
    assert_problem(retry, 422, "invalid-input")
    assert "Idempotent-Replayed" not in retry.headers
    assert _ids(town.anna.get("/case-files")) == []


@pytest.mark.parametrize(
    "key", ["", "x" * 256, "tab\there"], ids=["empty", "too-long", "control-char"]
)
def test_a_malformed_idempotency_key_is_invalid_input(town, ports, key):
    before = table_counts(ports)
    assert_problem(
        town.anna.post("/case-files", BODY, headers={"Idempotency-Key": key}), 422, "invalid-input"
    )
    assert table_counts(ports) == before


def test_idempotent_process_creation(town):
    case_file = town.case_file()
    path = f"/case-files/{case_file['id']}/processes"
    headers = {"Idempotency-Key": "proc-1"}
    first = town.anna.post(path, {"title": "Anhörung"}, headers=headers)
    replay = town.anna.post(path, {"title": "Anhörung"}, headers=headers)
    assert first.status_code == replay.status_code == 201
    assert replay.get_json()["id"] == first.get_json()["id"]
    assert len(town.anna.get(path).get_json()["items"]) == 1


def test_list_filters_by_text_and_sorts_across_pages(town) -> None:
    for title in ("Zoo-Genehmigung", "Apotheke am Markt", "Gaststätte 100%_Genuss"):
        town.case_file(title=title)
    found = town.anna.get("/case-files", query_string={"q": "genehm"}).get_json()["items"]
    assert [c["title"] for c in found] == ["Zoo-Genehmigung"]
    literal = town.anna.get("/case-files", query_string={"q": "100%_"}).get_json()["items"]
    assert [c["title"] for c in literal] == ["Gaststätte 100%_Genuss"]
    by_reference = town.anna.get("/case-files", query_string={"q": "32.10-0002"}).get_json()
    assert [c["title"] for c in by_reference["items"]] == ["Apotheke am Markt"]
    titles, cursor = [], None
    while True:
        params = {"sort": "title", "limit": 1, **({"cursor": cursor} if cursor else {})}
        body = town.anna.get("/case-files", query_string=params).get_json()
        titles += [c["title"] for c in body["items"]]
        cursor = body["next"]
        if cursor is None:
            break
    assert titles == sorted(titles) and len(titles) == 3
    newest = town.anna.get("/case-files", query_string={"sort": "-reference"}).get_json()
    assert [c["reference"] for c in newest["items"]][0].startswith("32.10-0003")
    assert town.anna.get("/case-files", query_string={"sort": "colour"}).status_code == 422
