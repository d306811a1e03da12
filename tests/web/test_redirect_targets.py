"""The web client never sends a user to another host, whatever `weiter` says."""

from __future__ import annotations

import pytest

from tests.web.support import PASSWORD, csrf, document_ids, file_stream, page_of, sign_in, upload

HOSTILE = ["/\\evil.example", "/\\/evil.example/phish", "/\t/evil.example", "https://evil.example"]


@pytest.mark.parametrize("target", ["/\\evil.example", "//evil.example", "/\tjavascript:x"])
def test_sign_in_with_a_hostile_weiter_lands_on_the_start_page(browser_for, target: str) -> None:
    anna = browser_for("anna")
    # Signed in already, the sign-in link with the hostile target leads home.
    again = anna.get("/anmelden", query_string={"weiter": target})
    assert again.status_code == 302 and again.headers["Location"] == "/akten"
    anna.post("/abmelden", data={"csrf": csrf(page_of(anna, "/akten"))})
    response = sign_in(anna, "anna", PASSWORD, weiter=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/akten"


def test_the_sign_in_form_does_not_carry_a_hostile_weiter(app, town) -> None:
    page = app.test_client().get("/anmelden", query_string={"weiter": "/\\evil.example"})
    assert page.status_code == 200
    assert "evil.example" not in page.get_data(as_text=True)


def test_the_new_version_form_ignores_a_hostile_weiter(browser_for, town) -> None:
    anna = browser_for("anna")
    akte = town.case_file(title="Bauantrag Lindenstraße 4")
    page = page_of(anna, upload(anna, akte, [(b"Entwurf", "antrag.txt")]).headers["Location"])
    (document_id,) = document_ids(page)
    for number, target in enumerate(HOSTILE, start=2):
        response = anna.post(
            f"/dokumente/{document_id}/versionen",
            data={
                "csrf": csrf(page),
                "weiter": target,
                "datei": (file_stream(f"Fassung {number}".encode()), "antrag.txt"),
            },
            content_type="multipart/form-data",
        )
        assert response.status_code == 302
        location = response.headers["Location"]
        assert location == f"/dokumente/{document_id}?neue_version={number}", target
    # A path on this site is still honoured.
    kept = anna.post(
        f"/dokumente/{document_id}/versionen",
        data={
            "csrf": csrf(page),
            "weiter": f"/akten/{akte['id']}",
            "datei": (file_stream(b"Fassung final"), "antrag.txt"),
        },
        content_type="multipart/form-data",
    )
    assert kept.headers["Location"] == f"/akten/{akte['id']}?neue_version={len(HOSTILE) + 2}"
