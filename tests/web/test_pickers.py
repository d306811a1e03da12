"""Pickers without JavaScript: a name or a word is as good as a code; several → candidates.

And the suggestions the script asks for while a person types (`/auswahl/...`): only
what the user may see, positions of the user's own Amt first.
"""

from __future__ import annotations

import pytest

from tests.helpers import audit_events
from tests.web.support import csrf, page_of, text_of


@pytest.fixture
def anna(browser_for):
    return browser_for("anna")


def labels(client, path: str, **query: str) -> list[str]:
    response = client.get(path, query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [option["label"] for option in response.get_json()["options"]]


def create(client, **fields: str):
    form = page_of(client, "/akten/neu")
    return client.post("/akten/neu", data={"csrf": csrf(form), "amt": "32", **fields})


def test_a_keyword_names_the_position_and_another_amts_position_needs_a_confirmation(
    town, anna
) -> None:
    form = page_of(anna, "/akten/neu")
    # Without the script the field offers her Amt's positions (datalist) and takes a word.
    assert '<option value="32.10 Gewerbeangelegenheiten">' in form
    assert "50.30 Wohngeld" not in form
    assert "Auch Positionen anderer Ämter vorschlagen" in form
    created = create(anna, aktenplan="Gewerbe", titel="Gewerbeanmeldung Café Linde")
    assert created.status_code == 302
    assert "32.10-" in page_of(anna, created.headers["Location"])

    # 50.30 belongs to the Sozialamt: a clerk of 32 must say that she means it.
    other = create(anna, aktenplan="Wohngeld", titel="Wohngeldantrag Meier")
    assert other.status_code == 422
    page = text_of(other)
    assert "50.30 Wohngeld gehört nicht zu den Positionen des Amtes 32 Ordnungsamt" in page
    assert 'value="50.30 Wohngeld"' in page  # the field shows what "Wohngeld" was taken for
    assert "Ja, die Akte gehört unter 50.30 Wohngeld" in page
    confirmed = create(
        anna, aktenplan="50.30 Wohngeld", andere_position="50.30", titel="Wohngeldantrag Meier"
    )
    assert confirmed.status_code == 302
    assert "50.30-" in page_of(anna, confirmed.headers["Location"])


def test_a_word_that_fits_several_positions_lists_them_and_all_errors_come_at_once(
    town, anna
) -> None:
    body = {"code": "32.20", "title": "Gewerbeuntersagungen", "retention_years": 5}
    assert town.rita.post("/file-plan", {**body, "disposition": "destroy"}).status_code == 201
    unclear = create(anna, aktenplan="Gewerbe", titel="")
    assert unclear.status_code == 422
    page = text_of(unclear)
    assert (
        "„Gewerbe“ passt auf mehrere: 32.10 Gewerbeangelegenheiten, 32.20 Gewerbeuntersagungen"
        in page
    )
    assert "Bitte geben Sie einen Titel ein." in page  # not only after the next submit
    assert create(anna, aktenplan="untersagung", titel="X").status_code == 302


def test_the_lead_grants_an_amt_and_a_person_by_name(town, browser_for) -> None:
    akte = town.case_file(title="Gaststättenerlaubnis Hirschwirt")
    lea = browser_for("lea")
    path = f"/akten/{akte['id']}"
    page = page_of(lea, path)
    assert 'data-auswahl="/auswahl/aemter"' in page and 'data-auswahl="/auswahl/personen"' in page

    def grant(**fields: str):
        return lea.post(f"{path}/freigaben", data={"csrf": csrf(page), **fields})

    assert grant(freigabe_art="amt", freigabe_amt="Sozialamt").status_code == 302
    assert grant(freigabe_art="person", freigabe_person="Carla (carla)").status_code == 302
    shown = text_of(lea.get(path))
    assert "Amt 50 Sozialamt" in shown and "Carla (carla)" in shown

    several = grant(freigabe_art="amt", freigabe_amt="amt")
    assert several.status_code == 422
    assert "„amt“ passt auf mehrere: 32 Ordnungsamt, 50 Sozialamt." in text_of(several)
    people = grant(freigabe_art="person", freigabe_person="Be")
    assert people.status_code == 422
    assert "passt auf mehrere: Bea (bea), Ben (ben)" in text_of(people)
    unknown = grant(freigabe_art="amt", freigabe_amt="Bauamt")
    assert unknown.status_code == 422 and "Dieses Amt gibt es nicht." in text_of(unknown)
    nobody = grant(freigabe_art="person", freigabe_person="Niemand")
    assert nobody.status_code == 422 and "Diese Person ist nicht bekannt." in text_of(nobody)
    assert grant(freigabe_art="person", freigabe_person="ben").status_code == 302  # a username


def test_suggestions_show_only_what_the_user_may_choose_and_are_audited(
    town, anna, ports, app
) -> None:
    assert labels(anna, "/auswahl/aemter", q="sozial") == ["50 Sozialamt"]
    assert labels(anna, "/auswahl/aemter", q="32") == ["32 Ordnungsamt", "32.1 Gewerbe"]

    town.person("robot", kind="service")
    town.person("bernd")
    assert town.admin.post("/principals/bernd/deactivate", {}).status_code in (200, 204)
    people = labels(anna, "/auswahl/personen", q="b")
    assert "Ben (ben)" in people and "Bea (bea)" in people
    assert not any("robot" in p or "bernd" in p for p in people)  # only active users
    answer = anna.get("/auswahl/personen", query_string={"q": "ben"}).get_json()
    assert answer["options"] == [{"value": "ben", "label": "Ben (ben)", "name": "Ben", "hint": ""}]

    assert labels(anna, "/auswahl/aktenplan") == ["32.10 Gewerbeangelegenheiten"]
    everything = anna.get("/auswahl/aktenplan", query_string={"alle_positionen": "1"}).get_json()
    hints = {o["label"]: o["hint"] for o in everything["options"]}
    assert hints == {"32.10 Gewerbeangelegenheiten": "", "50.30 Wohngeld": "anderes Amt"}

    theirs = town.case_file(town.ben, file_plan="50.30", department="50", title="Wohngeld Meier")
    mine = town.case_file(title="Gaststätte Hirschwirt")
    assert labels(anna, "/auswahl/akten", q="Hirschwirt") == [
        f"{mine['reference']} Gaststätte Hirschwirt"
    ]
    assert labels(anna, "/auswahl/akten", q=theirs["reference"]) == []

    searches = audit_events(ports, actor="anna", action="principal.search")
    assert searches and all("b" not in (e.details or {}).values() for e in searches)
    signed_out = app.test_client().get("/auswahl/personen?q=ben")
    assert signed_out.status_code == 302 and "/anmelden" in signed_out.headers["Location"]


def test_the_registratur_picks_any_departments_aktenzeichen_for_a_hold(town, browser_for) -> None:
    """Records managers place holds on files of every Amt: they find them by a part of the
    Aktenzeichen, see titles only where those are not confidential, and clerks may not."""
    open_file = town.case_file(town.ben, file_plan="50.30", department="50", title="Wohngeld Meier")
    secret = town.case_file(
        town.ben, file_plan="50.30", department="50", title="Wohngeld Geheim", confidential=True
    )
    rita = browser_for("rita")
    answer = rita.get("/auswahl/aktenzeichen", query_string={"q": "50.30"}).get_json()
    hints = {o["value"]: o["hint"] for o in answer["options"]}
    assert hints == {open_file["reference"]: "Wohngeld Meier", secret["reference"]: ""}
    # The title is never searched: it could be probed for a confidential file's name.
    assert rita.get("/auswahl/aktenzeichen", query_string={"q": "Geheim"}).get_json() == {
        "options": [],
        "more": False,
    }
    assert browser_for("anna").get(
        "/auswahl/aktenzeichen", query_string={"q": "50"}
    ).status_code in (
        403,
        404,
    )
    form = page_of(rita, "/aufbewahrung")
    assert 'data-auswahl="/auswahl/aktenzeichen"' in form
    held = rita.post(
        "/aufbewahrung/sperren",
        data={
            "csrf": csrf(form),
            "akte": secret["reference"],
            "grund": "Klage",
            "formular": "sperre",
        },
    )
    assert held.status_code == 302
    # The confirmation is announced in the one status region, as on every page.
    after = page_of(rita, held.headers["Location"])
    assert '<div id="meldung" role="status" aria-live="polite"><p class="meldung">' in after
    assert "Die Aussonderungssperre ist gesetzt." in after
