"""Security headers on every answer: REST API, web pages, error pages, static files, preview."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from eakte import create_app
from tests.api.support import assert_not_framable, directives
from tests.helpers import ApiClient, assert_problem

WEB = Path(__file__).resolve().parents[2] / "eakte" / "web"


def assert_common(response) -> None:
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in ("same-origin", "no-referrer")
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    for feature in ("camera", "microphone", "geolocation", "payment"):
        assert f"{feature}=()" in headers["Permissions-Policy"]
    assert "unsafe-inline" not in directives(response).get("script-src", "")
    assert "unsafe-eval" not in headers["Content-Security-Policy"]
    assert "Strict-Transport-Security" not in headers  # plain HTTP: no HSTS


def test_every_api_answer_carries_the_headers(client, admin_token) -> None:
    admin = ApiClient(client, admin_token)
    answers = {
        "public": client.get("/api/v1/health"),
        "openapi": client.get("/api/v1/openapi.json"),
        "signed in": admin.get("/departments"),
        "no token": client.get("/api/v1/departments"),
        "unknown path": client.get("/api/v1/no-such-thing"),
        "wrong method": admin.delete("/departments"),
        "bad body": admin.post("/departments", {"code": ""}),
    }
    assert answers["signed in"].status_code == 200
    assert_problem(answers["no token"], 401)
    assert_problem(answers["unknown path"], 404)
    assert_problem(answers["wrong method"], 405)
    assert_problem(answers["bad body"], 422)
    for name, response in answers.items():
        assert_common(response)
        assert_not_framable(response)
        # JSON is never a document to render: nothing may load, not even from us.
        assert directives(response)["default-src"] == "'none'", name
        assert "no-store" in response.headers["Cache-Control"], name
        # A browser sent to an API URL downloads the JSON instead of rendering it.
        assert response.headers["Content-Disposition"] == 'attachment; filename="api.json"'


def test_pages_allow_only_our_own_scripts_and_no_framing(app, client) -> None:
    sign_in = client.get("/anmelden")
    missing = client.get("/gibt-es-nicht")
    with client.get("/static/upload.js") as script:
        script.get_data()  # a file response: read and closed
    assert sign_in.status_code == 200 and "Anmelden" in sign_in.get_data(as_text=True)
    assert missing.status_code == 404 and "Nicht gefunden" in missing.get_data(as_text=True)
    assert script.status_code == 200
    for response in (sign_in, missing, script):
        assert_common(response)
        assert_not_framable(response)
        policy = directives(response)
        assert policy["default-src"] == "'self'"
        assert policy["object-src"] == "'none'" and policy["base-uri"] == "'none'"
        assert policy["form-action"] == "'self'"
    assert "no-store" in sign_in.headers["Cache-Control"]  # the form page is never cached
    assert script.headers["Cache-Control"] == "no-cache"  # our own script: revalidated


def test_the_templates_need_no_inline_script_or_style() -> None:
    """What lets the page policy go without 'unsafe-inline': a template that adds an
    inline script, style or event handler would be blocked in the browser."""
    offenders = []
    for template in sorted((WEB / "templates").glob("*.html")):
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text, flags=re.IGNORECASE):
            if "src=" not in tag:
                offenders.append(f"{template.name}: inline {tag}")
        for pattern in (r"<style\b", r"\sstyle\s*=", r"\son[a-z]+\s*=", r"javascript:"):
            if re.search(pattern, text, flags=re.IGNORECASE):
                offenders.append(f"{template.name}: {pattern}")
    for script in sorted((WEB / "static").glob("*.js")):
        text = script.read_text(encoding="utf-8")
        for pattern in (r"\beval\s*\(", r"new\s+Function\s*\(", r"setAttribute\(\s*['\"]on"):
            if re.search(pattern, text):
                offenders.append(f"{script.name}: {pattern}")
    assert offenders == []


def test_hsts_only_when_the_request_came_over_https(client) -> None:
    secure = client.get("/api/v1/health", base_url="https://eakte.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    assert int(re.search(r"max-age=(\d+)", secure.headers["Strict-Transport-Security"])[1]) >= (
        180 * 86400
    )
    page = client.get("/anmelden", base_url="https://eakte.example")
    assert "Strict-Transport-Security" in page.headers
    assert "Strict-Transport-Security" not in client.get("/api/v1/health").headers
    # Without EAKTE_PROXY_COUNT nobody's X-Forwarded-Proto is trusted.
    spoofed = client.get("/api/v1/health", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in spoofed.headers


@pytest.fixture
def proxied_client(settings, clock):
    """The app behind one trusted TLS-terminating proxy (EAKTE_PROXY_COUNT=1)."""
    app = create_app(dataclasses.replace(settings, proxy_count=1))
    app.config["TESTING"] = True
    app.extensions["eakte"].clock = clock
    yield app.test_client()
    app.extensions["eakte"].search_index.close()
    app.extensions["eakte"].session_factory.kw["bind"].dispose()


def test_behind_a_trusted_proxy_https_is_seen_and_hsts_sent(proxied_client) -> None:
    behind = proxied_client.get("/api/v1/health", headers={"X-Forwarded-Proto": "https"})
    assert behind.status_code == 200
    assert behind.headers["Strict-Transport-Security"].startswith("max-age=")
    plain = proxied_client.get("/api/v1/health", headers={"X-Forwarded-Proto": "http"})
    assert "Strict-Transport-Security" not in plain.headers
