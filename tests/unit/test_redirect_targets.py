"""`safe_next`: where the web client may send a user after sign-in or an upload."""

from __future__ import annotations

import pytest
from flask import Flask

from eakte.web.blueprint import blp
from eakte.web.session import safe_next

START = "/akten"


@pytest.fixture(scope="module")
def request_context():
    app = Flask(__name__)
    app.register_blueprint(blp)
    with app.test_request_context("/"):
        yield


@pytest.mark.parametrize(
    "target",
    [
        "/akten",
        "/akten?status=open&sort=titel",
        "/dokumente/0b6c0f5e-6c1e-4c55-9a6e-2f0f3f0e8d11",
        "/suche?q=Bauantrag%20M%C3%BCller#treffer",
        "/akten/neu",
    ],
)
def test_paths_on_this_site_are_kept(request_context, target: str) -> None:
    assert safe_next(target) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "//evil.example",
        "//evil.example/phish",
        "/\\evil.example",
        "\\\\evil.example",
        "\\/evil.example",
        "/akten\\..\\..\\evil",
        "https://evil.example/",
        "http:/evil.example",
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "evil.example",
        "akten",
        " /akten",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "/ /evil.example",
        "/akten\x00",
        "/akten\x7f",
        "/akten\u200b",
        "/akten\u2028",
        "/akten\u00a0x",
        "///evil.example",
    ],
)
def test_anything_else_goes_to_the_start_page(request_context, target: str | None) -> None:
    assert safe_next(target) == START
