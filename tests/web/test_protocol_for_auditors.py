"""The Protokoll as a Datenschutzbeauftragte reads it: names, Aktenzeichen, German actions.

She filters by what she knows (an Aktenzeichen, a German action, a person's name),
sees the newest events first, and exports exactly what she sees.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from tests.api.support import upload_text
from tests.helpers import audit_events
from tests.web.support import text_of

ROW = re.compile(r"<tr>\s*<td>(\d+)</td>.*?</tr>", re.S)


@pytest.fixture
def audrey(browser_for):
    return browser_for("audrey")


def reads(town) -> tuple[dict, dict, dict]:
    """Anna and Carla read one Akte, Anna downloads its letter, Ben is refused; another Akte."""
    akte = town.case_file()
    other = town.case_file(title="Gaststättenerlaubnis Zum Anker")
    letter = upload_text(town.anna, akte["id"], "Sehr geehrte Frau Sommer …")
    for who in (town.anna, town.carla):
        assert who.get(f"/case-files/{akte['id']}").status_code == 200
    assert town.anna.get(f"/documents/{letter['id']}/content").status_code == 200
    assert town.ben.get(f"/case-files/{akte['id']}").status_code == 404
    assert town.anna.get(f"/case-files/{other['id']}").status_code == 200
    return akte, other, letter


def rows_of(page: str) -> list[tuple[int, str]]:
    return [(int(match.group(1)), match.group(0)) for match in ROW.finditer(page)]


def test_who_read_an_akte_by_aktenzeichen_and_german_action(town, audrey) -> None:
    akte, other, letter = reads(town)
    response = audrey.get(
        "/protokoll", query_string={"objekt": akte["reference"], "aktion": "Akte gelesen"}
    )
    assert response.status_code == 200
    page = text_of(response)
    rows = rows_of(page)
    assert len(rows) == 3  # Anna, Carla, and Ben's refused attempt
    assert all("Akte gelesen" in row and f"Akte {akte['reference']}" in row for _, row in rows)
    assert [seq for seq, _ in rows] == sorted((seq for seq, _ in rows), reverse=True)
    names = " ".join(row for _, row in rows)
    assert "Anna" in names and "Carla" in names and "abgelehnt" in names
    assert other["reference"] not in names and akte["id"] not in names
    assert '<option value="case_file.read" selected>Akte gelesen</option>' in page
    assert "Gewerbeanmeldung Bäckerei Sommer" not in page  # titles are content

    everything = text_of(audrey.get("/protokoll", query_string={"objekt": akte["reference"]}))
    download = [row for _, row in rows_of(everything) if "Dokument heruntergeladen" in row]
    assert len(download) == 1 and f"Dokument in Akte {akte['reference']}" in download[0]
    assert letter["id"] in download[0]  # which document: its id, never its title

    by_name = text_of(
        audrey.get("/protokoll", query_string={"person": "carla", "objekt": akte["id"]})
    )
    assert {"Carla"} == {re.search(r"<td>(\w+)<br>", row).group(1) for _, row in rows_of(by_name)}


def test_unknown_filter_entries_are_named_in_german(town, audrey) -> None:
    reads(town)
    for query, message in [
        ({"aktion": "Akte gelsen"}, "Diese Aktion gibt es nicht."),
        ({"objekt": "99.99-9999/2099"}, "Keine Akte mit diesem Aktenzeichen"),
        ({"person": "Frau Niemand"}, "Keine Person mit diesem Namen oder Benutzernamen gefunden."),
        ({"amt": "Raumfahrtamt"}, "Dieses Amt gibt es nicht."),
    ]:
        response = audrey.get("/protokoll", query_string=query)
        assert response.status_code == 422, query
        page = text_of(response)
        assert message in page and 'aria-invalid="true"' in page
        assert "Keine Ereignisse gefunden" not in page  # never a silent 0


def test_the_export_is_exactly_the_filtered_view(town, ports, audrey) -> None:
    akte, _, _ = reads(town)
    query = {"objekt": akte["reference"], "aktion": "case_file.read"}
    shown = [seq for seq, _ in rows_of(text_of(audrey.get("/protokoll", query_string=query)))]

    exported = audrey.get("/protokoll/export", query_string={**query, "format": "csv"})
    assert exported.status_code == 200
    assert exported.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert exported.data.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig")), delimiter=";"))
    assert table[0] == [
        "Nr.", "Zeitpunkt", "Person", "Benutzername", "Aktion", "Aktionscode",
        "Objektart", "Objekt", "Kennung", "Amt", "Ergebnis", "Einzelheiten",
    ]  # fmt: skip
    assert [int(line[0]) for line in table[1:]] == shown
    assert {line[4] for line in table[1:]} == {"Akte gelesen"}
    assert {line[7] for line in table[1:]} == {akte["reference"]}
    assert {"Anna", "Carla"} <= {line[2] for line in table[1:]}
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d", table[1][1])

    jsonl = audrey.get("/protokoll/export", query_string={**query, "format": "jsonl"})
    lines = [json.loads(line) for line in jsonl.get_data(as_text=True).splitlines()]
    assert sorted(line["seq"] for line in lines) == sorted(shown)
    assert all(line["leaf_hash"] and line["canonical"] for line in lines)  # hashes stay here

    export = audit_events(ports, actor="audrey", action="audit.export")[-1]
    assert export.details["filters"]["action"] == "case_file.read"
    assert export.details["filters"]["about"] == {"case_file": akte["id"]}


def test_the_page_offers_the_filtered_export(town, audrey) -> None:
    akte, _, _ = reads(town)
    page = text_of(audrey.get("/protokoll", query_string={"objekt": akte["reference"]}))
    links = re.findall(r'href="(/protokoll/export\?[^"]+)"', page)
    assert len(links) == 2
    assert all("objekt=" in link for link in links)
    assert "Die gefilterten Ereignisse (alle Seiten)" in page


def test_the_amt_filter_takes_the_amts_name(town, audrey) -> None:
    """The auditor picks the Amt by its name (or code) like every other form."""
    akte, _, _ = reads(town)
    by_name = text_of(
        audrey.get("/protokoll", query_string={"amt": "Ordnungsamt", "aktion": "Akte gelesen"})
    )
    by_code = text_of(
        audrey.get("/protokoll", query_string={"amt": "32", "aktion": "Akte gelesen"})
    )
    assert rows_of(by_name) and rows_of(by_name) == rows_of(by_code)
    assert 'data-auswahl="/auswahl/aemter"' in by_name
