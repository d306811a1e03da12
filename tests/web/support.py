"""What the web page tests share: signing in, CSRF tokens, the upload form, reading pages."""

from __future__ import annotations

import html
import io
import re

PASSWORD = "Lindenhof-Sommer-2026"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def sign_in(client, username: str, password: str, **extra):
    form = client.get("/anmelden").get_data(as_text=True)
    return client.post(
        "/anmelden",
        data={"csrf": csrf(form), "benutzername": username, "passwort": password, **extra},
    )


def page_of(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def upload(client, akte: dict, files: list[tuple[bytes, str]]):
    """The plain form (no script); the token comes from the Akte page, or Meine Akten."""
    page = client.get(f"/akten/{akte['id']}").get_data(as_text=True)
    if 'name="csrf"' not in page:
        page = page_of(client, "/akten")
    data = {"csrf": csrf(page), "datei": [(file_stream(content), name) for content, name in files]}
    return client.post(
        f"/akten/{akte['id']}/dokumente", data=data, content_type="multipart/form-data"
    )


def file_stream(content: bytes):
    return io.BytesIO(content)


def document_ids(page: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r'href="/dokumente/([0-9a-f-]{36})"', page)))


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def post_form(browser, page_path: str, action: str, data: dict):
    """Submit a form as a browser does: with the CSRF token of the page it sits on."""
    token = csrf(browser.get(page_path).get_data(as_text=True))
    return browser.post(action, data={"csrf": token, **data})


def grant_on_page(browser, akte_id: str, **fields: str):
    """Freigeben on the Akte page: an Amt read-only unless `fields` say otherwise."""
    data = {"freigabe_art": "amt", "freigabe_recht": "read", **fields}
    return post_form(browser, f"/akten/{akte_id}", f"/akten/{akte_id}/freigaben", data)


def approve_proposal(browser, proposal_id: str):
    """Freigeben on Aufbewahrung, and, if it is the deciding approval, the confirmation too."""
    path = f"/aufbewahrung/vorschlaege/{proposal_id}/freigeben"
    first = post_form(browser, "/aufbewahrung", path, {})
    if first.status_code != 200:  # not the deciding one: saved and back to the page
        return first
    assert 'name="bestaetigt"' in first.get_data(as_text=True)
    return browser.post(path, data={"csrf": csrf(first.get_data(as_text=True)), "bestaetigt": "ja"})
