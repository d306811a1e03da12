"""The web client keeps "no one alone": Verwaltung requests, Bestätigungen confirm."""

from __future__ import annotations

from tests.helpers import audit_events
from tests.web.support import post_form, text_of


def test_a_membership_the_admin_requests_holds_once_the_lead_confirms_it(
    town, browser_for, ports
) -> None:
    admin, lea, anna = browser_for("admin"), browser_for("lea"), browser_for("anna")
    page_path = "/verwaltung/personen/ben"
    requested = post_form(
        admin, page_path, f"{page_path}/mitgliedschaften", {"department": "32", "role": "reader"}
    )
    assert requested.status_code == 302
    page = text_of(admin.get(requested.headers["Location"]))
    assert "Die Mitgliedschaft ist beantragt" in page and "wartet auf die Amtsleitung" in page
    case_file = town.case_file()
    assert town.ben.get(f"/case-files/{case_file['id']}").status_code == 404

    # Bestätigungen: lea (lead of 32) sees it in the menu and on the page; anna does not.
    assert "Bestätigungen" in text_of(lea.get("/akten"))
    assert "Bestätigungen" not in text_of(anna.get("/akten"))
    assert "Keine Mitgliedschaft wartet" in text_of(anna.get("/bestaetigungen"))
    listing = text_of(lea.get("/bestaetigungen"))
    assert "Ben (ben)" in listing and "32 Ordnungsamt" in listing and "admin" in listing
    refused = post_form(anna, "/bestaetigungen", "/bestaetigungen/mitgliedschaften/ben/32", {})
    assert refused.status_code == 403
    confirmed = post_form(lea, "/bestaetigungen", "/bestaetigungen/mitgliedschaften/ben/32", {})
    assert confirmed.status_code == 302
    assert "bestätigt und gilt ab sofort" in text_of(lea.get(confirmed.headers["Location"]))
    assert town.ben.get(f"/case-files/{case_file['id']}").status_code == 200
    assert [e.actor for e in audit_events(ports, action="membership.approve")][-1] == "lea"


def test_a_records_manager_grant_waits_for_another_records_manager(town, browser_for) -> None:
    admin, rita = browser_for("admin"), browser_for("rita")
    page_path = "/verwaltung/personen/carla"
    granted = post_form(admin, page_path, f"{page_path}/rollen", {"role": "records_manager"})
    assert "Die Rolle ist beantragt" in text_of(admin.get(granted.headers["Location"]))
    assert town.carla.get("/retention/due").status_code == 403
    assert "Carla (carla)" in text_of(rita.get("/bestaetigungen"))
    confirmed = post_form(rita, "/bestaetigungen", "/bestaetigungen/rollen/carla", {})
    assert confirmed.status_code == 302
    assert town.carla.get("/retention/due").status_code == 200


def test_the_admin_page_offers_no_way_to_act_alone(town, browser_for) -> None:
    admin = browser_for("admin")
    anna_page = text_of(admin.get("/verwaltung/personen/anna"))
    assert "Neuen Zugangsschlüssel ausstellen" not in anna_page
    assert "stellt nur die Person selbst aus" in anna_page
    refused = post_form(
        admin, "/verwaltung/personen/anna", "/verwaltung/personen/anna/schluessel", {}
    )
    assert refused.status_code == 403 and "eakte_" not in text_of(refused)
    own = post_form(
        admin,
        "/verwaltung/personen/admin",
        "/verwaltung/personen/admin/mitgliedschaften",
        {"department": "32", "role": "lead"},
    )
    assert own.status_code == 422 and "immer eine andere Person" in text_of(own)
    exclusive = post_form(
        admin, "/verwaltung/personen/rita", "/verwaltung/personen/rita/rollen", {"role": "admin"}
    )
    assert exclusive.status_code == 403
    assert "hält nie dieselbe Person" in text_of(exclusive)


def test_deactivating_an_account_ends_its_session_at_once(town, browser_for) -> None:
    admin, anna = browser_for("admin"), browser_for("anna")
    assert anna.get("/akten").status_code == 200
    done = post_form(
        admin, "/verwaltung/personen/anna", "/verwaltung/personen/anna/deaktivieren", {}
    )
    assert done.status_code == 302
    assert "Das Konto ist deaktiviert" in text_of(admin.get(done.headers["Location"]))
    assert anna.get("/akten").status_code == 302
    assert town.anna.get("/case-files").status_code == 401
    post_form(admin, "/verwaltung/personen/anna", "/verwaltung/personen/anna/reaktivieren", {})
    assert (
        "deaktiviert" not in text_of(admin.get("/verwaltung/personen/anna")).split("Art:")[1][:40]
    )
