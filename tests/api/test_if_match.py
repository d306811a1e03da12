"""If-Match on PATCH /case-files/{id}: RFC 9110 §13.1.1, strong comparison, every form."""

from __future__ import annotations

import pytest

from eakte.api.preconditions import _accepted
from tests.helpers import assert_problem


def _patch(town, path: str, title: str, *if_match: str):
    headers = [("If-Match", value) for value in if_match]
    return town.anna.client.patch(
        "/api/v1" + path,
        json={"title": title},
        headers=[("Authorization", f"Bearer {town.anna.token}"), *headers],
    )


def test_an_if_match_that_does_not_name_the_current_version_fails_whatever_its_form(town):
    case_file = town.case_file(title="Bauantrag Lindenstraße 4")
    path = f"/case-files/{case_file['id']}"
    etag = town.anna.get(path).headers["ETag"]
    version = etag.strip('"')
    stale = f'"{int(version) - 1}"' if version != "1" else '"0"'
    refused = {
        "weak current": f"W/{etag}",
        "weak in a list": f'W/{etag}, "999"',
        "unquoted current": version,
        "garbage": "irgendwas",
        "half quoted": f'"{version}',
        "trailing garbage": f"{etag}x",
        "stale": stale,
        "list without the current one": f'"998", {stale}',
        "star in a list": f"*, {etag}",
        "empty": "",
        "separator only": ",",
        "case of the weak prefix": f"w/{etag}",
        "semicolon list": f"{etag}; {etag}",
    }
    for form, value in refused.items():
        refusal = _patch(town, path, f"Titel {form}", value)
        body = assert_problem(refusal, 412, "precondition-failed")
        assert "current ETag" in body["detail"], form
    assert town.anna.get(path).get_json()["title"] == "Bauantrag Lindenstraße 4"
    assert town.anna.get(path).headers["ETag"] == etag  # nothing changed


@pytest.mark.parametrize(
    "form",
    ["current", "star", "list with the current one", "two headers", "spaces and empty elements"],
)
def test_an_if_match_that_names_the_current_version_or_star_succeeds(town, form: str):
    case_file = town.case_file()
    path = f"/case-files/{case_file['id']}"
    etag = town.anna.get(path).headers["ETag"]
    values = {
        "current": [etag],
        "star": ["*"],
        "list with the current one": [f'"998", W/"999", {etag}'],
        "two headers": ['"998"', etag],
        "spaces and empty elements": [f' , "998" ,, {etag} ,'],
    }[form]
    changed = _patch(town, path, "Neuer Titel", *values)
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["title"] == "Neuer Titel"
    assert changed.headers["ETag"] != etag


def test_a_patch_without_if_match_still_needs_one(town):
    case_file = town.case_file()
    path = f"/case-files/{case_file['id']}"
    assert_problem(_patch(town, path, "Neu"), 428, "precondition-required")
    assert town.anna.get(path).get_json()["title"] == case_file["title"]


def test_if_match_does_not_get_past_access_checks(town):
    theirs = town.case_file(town.ben, file_plan="50.30", department="50")
    path = f"/case-files/{theirs['id']}"
    assert_problem(_patch(town, path, "Neu", "*"), 404)


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ('"3"', {'"3"'}),
        ('W/"3"', set()),
        ('"1", W/"2", "3"', {'"1"', '"3"'}),
        ('"a,b"', {'"a,b"'}),
        ("3", set()),
        ('"3', set()),
        ('"3" "4"', set()),
        ("", set()),
        ("*", None),
        (" * ", None),
        ('*, "3"', set()),
    ],
)
def test_the_if_match_parser(value: str, accepted: set[str] | None) -> None:
    result = _accepted(value)
    assert (None if result is None else set(result)) == accepted
