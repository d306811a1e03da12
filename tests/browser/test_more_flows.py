"""More flows in the browser: four-eyes disposal, the lead's Akte page, sub-pages under
axe-core, and the keyboard path through the sign-in page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from tests.browser.support import axe_violations, describe_violations, playwright_or_skip
from tests.helpers import backdate_closing

expect = playwright_or_skip().expect

# 32.20 Ordnungswidrigkeiten: 5 years, then destroyed; 32.1 may file there.
DESTROY_NODE = "32.20"
DESTROY_YEARS = 5
TITLE = "Bußgeldverfahren Falschparken Rosenstraße 8"
# The second records manager, created through the Verwaltung page.
SECOND_MANAGER = "h.vogel"
SECOND_MANAGER_NAME = "Hanna Vogel"
LEAD_CASE_FILE = "Bußgeldverfahren Lärmbelästigung Lindenweg 3"  # demo, department 32
OPEN_CASE_FILE = "Gaststättenerlaubnis Café am Markt"  # demo, a.schmidt, stays open

FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    id: el.id,
    text: (el.innerText || '').trim(),
    outline: style.outlineStyle,
    outlineWidth: style.outlineWidth,
    shadow: style.boxShadow,
  };
}"""


def assert_no_axe_violations(page, what: str) -> None:
    violations = axe_violations(page)
    assert not violations, f"axe-core on {what} ({page.url}):\n{describe_violations(violations)}"


def open_case_file(page, base_url: str, title: str) -> None:
    """Open a case file from the list "Meine Akten"."""
    page.goto(f"{base_url}/akten")
    row = page.locator("main tbody tr").filter(has_text=title).first
    row.get_by_role("link").first.click()
    page.wait_for_url("**/akten/*")
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)


def create_records_manager(page, base_url: str, password: str) -> None:
    """As admin: a new person with the role records_manager and a password."""
    page.goto(f"{base_url}/verwaltung")
    page.fill("#person-username", SECOND_MANAGER)
    page.fill("#person-display_name", SECOND_MANAGER_NAME)
    page.get_by_role("button", name="Anlegen", exact=True).click()
    page.wait_for_url(re.compile(rf"/verwaltung/personen/{re.escape(SECOND_MANAGER)}"))
    expect(page.get_by_role("status")).to_have_text("Die Person wurde angelegt.")
    page.select_option("#rolle", "records_manager")
    page.get_by_role("button", name="Rolle vergeben").click()
    # No one alone: the grant waits for a records manager who already is one.
    expect(page.get_by_role("status")).to_contain_text("Die Rolle ist beantragt.")
    expect(page.locator("main")).to_contain_text("Schriftgutverwaltung (Aufbewahrung) (beantragt")
    page.fill("#passwort", password)
    page.get_by_role("button", name="Passwort setzen").click()
    expect(page.get_by_role("status")).to_contain_text("Das vorläufige Passwort wurde gesetzt")


def confirm_records_manager(page, base_url: str) -> None:
    """As the first records manager: approve the second one on Bestätigungen."""
    page.goto(f"{base_url}/bestaetigungen")
    page.get_by_role("button", name=f"Rolle für {SECOND_MANAGER} bestätigen").click()
    expect(page.get_by_role("status")).to_contain_text("Die Rolle ist bestätigt")


def choose_own_password(page, base_url: str, temporary: str) -> None:
    """After an admin's reset every page leads to Passwort ändern first."""
    page.goto(f"{base_url}/aufbewahrung")
    page.wait_for_url("**/passwort")
    expect(page.get_by_role("alert").first).to_contain_text("zurückgesetzt")
    page.fill("#aktuell", temporary)
    page.fill("#neu", "Eigenes-Passwort-Vogel-7")
    page.fill("#wiederholung", "Eigenes-Passwort-Vogel-7")
    page.get_by_role("button", name="Passwort speichern").click()
    page.wait_for_url("**/akten")


def test_four_eyes_disposal_destroys_the_case_file(site, page_for):
    year = dt.date.today().year
    keep_until = f"31.12.{year + DESTROY_YEARS}"

    # a.schmidt files under 32.20 (destroy after 5 years) and closes the case file.
    clerk = page_for("a.schmidt")
    clerk.goto(f"{site.base_url}/akten/neu")
    clerk.fill("#aktenplan", DESTROY_NODE)
    clerk.select_option("#amt", "32.1")
    clerk.fill("#titel", TITLE)
    clerk.get_by_role("button", name="Akte anlegen").click()
    reference = clerk.locator(".akte-neues-az").inner_text().strip()
    assert re.fullmatch(rf"32\.20-\d{{4}}/{year}", reference), reference
    case_file_url = clerk.url.split("?")[0]
    clerk.get_by_role("link", name="Akte abschließen (zdA verfügen)").click()
    expect(clerk.locator(".akte-frist")).to_have_text(f"Aufbewahrung bis {keep_until}")
    expect(clerk.locator("main")).to_contain_text("danach wird sie vernichtet")
    clerk.get_by_role("button", name="Ja, Akte abschließen").click()
    expect(clerk.locator(".akte-status")).to_have_text("zdA")
    # As if closed long ago (the server's clock cannot be moved): due today.
    engine = sa.create_engine(site.database_url)
    try:
        backdate_closing(engine, [case_file_url.rstrip("/").rsplit("/", 1)[-1]])
    finally:
        engine.dispose()

    # m.becker creates the second records manager through the Verwaltung page.
    create_records_manager(page_for("m.becker"), site.base_url, site.password)

    # registratur confirms the new records manager, then runs the retention run as of
    # today (a later day only previews).
    first = page_for("registratur")
    confirm_records_manager(first, site.base_url)
    first.goto(f"{site.base_url}/aufbewahrung")
    first.fill("#lauf-stichtag", f"{year + DESTROY_YEARS + 1}-01-02")
    first.get_by_role("button", name="Retention-Lauf starten").click()
    expect(first.locator("p.meldung")).to_contain_text(
        f"Vorschau zum Stichtag 02.01.{year + DESTROY_YEARS + 1}"
    )
    expect(first.locator("p.meldung")).to_contain_text("Es wurde nichts vorgeschlagen")
    expect(
        first.get_by_role("button", name="Vorschau berechnen (schlägt nichts vor)")
    ).to_be_visible()
    expect(first.locator("article.vorschlag")).to_have_count(0)
    first.goto(f"{site.base_url}/aufbewahrung")
    first.get_by_role("button", name="Retention-Lauf starten").click()
    expect(first.locator("p.meldung")).to_contain_text("Der Retention-Lauf ist abgeschlossen.")
    proposal = first.locator("article.vorschlag").filter(has_text=reference)
    expect(proposal).to_have_count(1)
    expect(proposal.get_by_role("heading", level=3)).to_contain_text(
        f"Aktenplan {DESTROY_NODE} Ordnungswidrigkeiten: vernichten"
    )
    expect(proposal.locator(".status")).to_have_text("wartet auf Freigabe")
    expect(proposal.locator("dd").filter(has_text="von 2")).to_contain_text("1 von 2")
    proposal_id = proposal.get_attribute("id").removeprefix("vorschlag-")

    # The run counts as registratur's approval: no second one by the same person.
    expect(proposal).to_contain_text("Sie haben bereits freigegeben.")
    expect(proposal.get_by_role("button", name="Freigeben", exact=True)).to_have_count(0)
    # Even a forged form post (with a valid CSRF token) is refused, and said plainly.
    with first.expect_navigation() as navigation:
        first.evaluate(
            """([action]) => {
              const form = document.createElement('form');
              form.method = 'post';
              form.action = action;
              const token = document.querySelector('input[name=csrf]').cloneNode();
              form.appendChild(token);
              document.body.appendChild(form);
              form.submit();
            }""",
            [f"/aufbewahrung/vorschlaege/{proposal_id}/freigeben"],
        )
    assert navigation.value.status == 409, navigation.value.status
    expect(first.locator(f"#freigabe-{proposal_id}-fehler")).to_have_text(
        "Sie haben diesen Vorschlag bereits freigegeben; eine zweite Person muss freigeben."
    )

    # The second records manager signs in and approves, by keyboard: first a page
    # that says what will happen, then the proposal is carried out.
    second = page_for(SECOND_MANAGER)
    choose_own_password(second, site.base_url, site.password)
    second.goto(f"{site.base_url}/aufbewahrung")
    proposal = second.locator(f"#vorschlag-{proposal_id}")
    expect(proposal.locator(".status")).to_have_text("wartet auf Freigabe")
    proposal.get_by_role("button", name="Freigeben", exact=True).focus()
    second.keyboard.press("Enter")
    expect(second.get_by_role("heading", level=1)).to_have_text("Vernichtung freigeben")
    expect(second.locator("main")).to_contain_text("Das lässt sich nicht rückgängig machen.")
    expect(second.locator("main table")).to_contain_text(reference)
    expect(second.locator("main table")).to_contain_text(TITLE)
    assert_no_axe_violations(second, "Vernichtung freigeben")
    # Nothing is destroyed yet: the clerk still opens her case file.
    assert clerk.goto(case_file_url).status == 200
    confirm = "Ja, freigeben und 1 Akte vernichten"
    for _ in range(40):  # Tab from the top of the page to the button
        second.keyboard.press("Tab")
        focused = second.evaluate(FOCUSED)
        if focused["text"] == confirm:
            break
    assert focused["text"] == confirm, focused
    assert focused["outline"] != "none" or focused["shadow"] != "none", focused
    second.keyboard.press("Enter")
    expect(second.locator("p.meldung")).to_have_text(
        "Der Aussonderungsvorschlag ist freigegeben und ausgeführt."
    )
    proposal = second.locator(f"#vorschlag-{proposal_id}")
    expect(proposal.locator(".status")).to_have_text("erledigt")
    expect(proposal.locator("dd").filter(has_text="von 2")).to_contain_text("2 von 2")
    expect(proposal.locator("dd").filter(has_text="von 2")).to_contain_text(SECOND_MANAGER_NAME)
    item = proposal.locator("tbody tr").filter(has_text=reference)
    expect(item.locator("td").nth(2)).to_have_text("vernichtet")
    expect(proposal.get_by_role("link", name="Nachweis als PDF")).to_be_visible()
    assert_no_axe_violations(second, "Aufbewahrung mit erledigtem Vorschlag")

    # registratur sees it done, with nothing left to approve.
    first.goto(f"{site.base_url}/aufbewahrung")
    proposal = first.locator(f"#vorschlag-{proposal_id}")
    expect(proposal.locator(".status")).to_have_text("erledigt")
    expect(proposal.get_by_role("button", name="Freigeben", exact=True)).to_have_count(0)

    # a.schmidt finds only the German "gone" page where her case file was.
    response = clerk.goto(case_file_url)
    assert response.status == 410, response.status
    expect(clerk.get_by_role("heading", level=1)).to_have_text("Nicht mehr vorhanden")
    expect(clerk.locator("main")).to_contain_text("ausgesondert")
    expect(clerk.locator("main")).not_to_contain_text(TITLE)


def test_lead_sees_the_grants_section_without_axe_violations(site, page_as):
    page = page_as("k.weber")
    open_case_file(page, site.base_url, LEAD_CASE_FILE)
    expect(page.get_by_role("heading", level=2, name="Freigaben")).to_be_visible()
    expect(page.get_by_role("group", name="Neue Freigabe für")).to_be_visible()
    assert_no_axe_violations(page, "Akte (Leitung, mit Freigaben)")


SUB_PAGES = {
    "zda-bestaetigung": "a.schmidt",
    "verwaltung-person": "m.becker",
    "protokoll": "revision",
}


@pytest.mark.parametrize("key", SUB_PAGES)
def test_sub_pages_have_no_serious_axe_violations(site, page_as, key):
    page = page_as(SUB_PAGES[key])
    if key == "zda-bestaetigung":
        open_case_file(page, site.base_url, OPEN_CASE_FILE)
        page.get_by_role("link", name="Akte abschließen (zdA verfügen)").click()
        page.wait_for_url(re.compile(r"/akten/[0-9a-f-]+/abschliessen$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Akte abschließen (zdA)")
        expect(page.get_by_role("button", name="Ja, Akte abschließen")).to_be_visible()
    elif key == "verwaltung-person":
        response = page.goto(f"{site.base_url}/verwaltung/personen/a.schmidt")
        assert response.status == 200, response.status
        expect(page.get_by_role("heading", level=1)).to_contain_text("Anna Schmidt")
    else:
        page.goto(f"{site.base_url}/protokoll")
        page.get_by_role("button", name="Protokoll jetzt prüfen").click()
        expect(page.locator(".pruefung")).to_contain_text("Protokoll unversehrt")
    assert_no_axe_violations(page, key)


def test_sign_in_page_keyboard_order_and_visible_focus(site, page_as):
    page = page_as(None)
    page.goto(f"{site.base_url}/anmelden")
    # The username field has autofocus; a click on the empty page below the form moves
    # the keyboard's starting point back to the top of the document.
    expect(page.locator("#benutzername")).to_be_focused()
    page.mouse.click(640, 780)
    stops = []
    for _ in range(5):
        page.keyboard.press("Tab")
        stops.append(page.evaluate(FOCUSED))
    names = [stop["id"] or stop["text"] for stop in stops]
    wanted = ["Zum Inhalt springen", "benutzername", "passwort", "Anmelden"]
    positions = [names.index(name) if name in names else -1 for name in wanted]
    assert -1 not in positions and positions == sorted(positions), names
    assert positions[0] == 0, f"the skip link is not the first stop: {names}"
    for stop, name in zip(stops, names, strict=True):
        visible = stop["outline"] != "none" and stop["outlineWidth"] != "0px"
        assert visible or stop["shadow"] != "none", f"no visible focus on {name}: {stop}"
