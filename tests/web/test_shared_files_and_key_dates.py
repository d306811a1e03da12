"""Small things a user met: shared files marked as such, a key's end day as entered,
admin fields with labels of their own."""

from __future__ import annotations

import datetime as dt
import re

from tests.web.support import grant_on_page, page_of, post_form, text_of


def test_a_file_shared_with_my_department_is_marked_with_right_and_end_day(
    town, browser_for, clock
):
    clock.set(dt.datetime(2026, 3, 3, 9, tzinfo=dt.UTC))
    akte = town.case_file(title="Gaststättenerlaubnis Hirschwirt")
    lea = browser_for("lea")
    shared = grant_on_page(lea, akte["id"], freigabe_amt="50", freigabe_bis="31.12.2026")
    assert shared.status_code == 302
    ben = browser_for("ben")
    row = re.search(
        rf"<tr>\s*<td><a[^>]*>{re.escape(akte['reference'])}</a>.*?</tr>",
        text_of(ben.get("/akten")),
        re.S,
    ).group(0)
    assert "geteilt: nur lesen, bis 31.12.2026" in row
    # The owners' own list does not call their file shared.
    assert "geteilt:" not in text_of(lea.get("/akten"))


def test_a_key_valid_until_a_day_shows_that_day(browser_for, clock):
    clock.set(dt.datetime(2026, 3, 3, 9, tzinfo=dt.UTC))
    admin = browser_for("admin")
    post_form(
        admin,
        "/verwaltung",
        "/verwaltung/personen",
        {"username": "fachverfahren", "display_name": "Gewerbe-Fachverfahren", "kind": "service"},
    )
    page_path = "/verwaltung/personen/fachverfahren"
    shown = post_form(admin, page_path, f"{page_path}/schluessel", {"bis": "31.03.2027"})
    assert shown.status_code == 201
    assert "Gültig bis: 31.03.2027" in text_of(shown)
    listing = text_of(admin.get(page_path))
    assert "31.03.2027" in listing and "01.04.2027" not in listing


def test_the_two_name_fields_of_the_admin_page_say_whose_name(browser_for):
    page = page_of(browser_for("admin"), "/verwaltung")
    labels = re.findall(r"<label for=\"[^\"]+\">([^<]+)</label>", page)
    assert "Name des Amts" in labels and "Anzeigename" in labels
    assert "Name" not in labels
