"""Fuzzed uploads and search queries: every answer is a success or a clear 4xx problem.

The multipart bodies are built byte by byte here (not by werkzeug's encoder), so
file names with CR/LF, quotes, NUL or `../` reach the server's parser exactly as a
hostile client would send them; part names, content types and truncated bodies
vary too. A refused upload writes nothing (no row, no object); an accepted one
is stored under a safe name and offered with a well-formed Content-Disposition.
"""

from __future__ import annotations

import re
import string
import unicodedata
from pathlib import Path
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from eakte.errors import SearchQueryError
from eakte.models.documents import FILENAME_MAX
from eakte.search.query import MAX_TERMS, ParsedQuery, parse_query
from tests.api.support import drain
from tests.helpers import assert_problem, table_counts
from tests.hostile.support import file_part, header_bytes, multipart, post_raw

FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Anything a URL or a header can carry as UTF-8 (lone surrogates cannot be encoded).
CHARACTERS = st.characters(exclude_categories=("Cs",))

# --- file names and the multipart body -----------------------------------------------

HOSTILE_NAMES = [
    "../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "C:\\..\\x",
    "/absolute/path.pdf",
    'an"führung.pdf',
    "semi;colon=1.pdf",
    "crlf\r\nContent-Type: text/html\r\n\r\n<script>.pdf",
    "nul\x00byte.pdf",
    "\u202egnp.exe",  # right-to-left override
    "zeile\u2028umbruch.pdf",
    "..",
    "%2e%2e%2fetc%2fpasswd",
    "Ä" * 400 + ".pdf",
    "",
]

file_names = st.one_of(
    st.sampled_from(HOSTILE_NAMES),
    st.text(
        st.one_of(
            CHARACTERS,
            st.sampled_from(list("/\\.\"';=%\r\n\t\x00\u2028\u202e")),
        ),
        max_size=300,
    ),
)


def stored_objects(settings) -> list[Path]:
    root = Path(settings.storage_url.removeprefix("file://"))
    return sorted(path for path in root.rglob("*") if path.is_file())


def assert_well_formed_disposition(header: str, stored_name: str) -> None:
    """RFC 6266: an ASCII fallback in quotes plus the exact name as RFC 8187 `filename*`."""
    assert header.isascii() and header.isprintable(), repr(header)
    match = re.fullmatch(
        r"attachment; filename=\"([ !#-\[\]-~]*)\"; filename\*=UTF-8''([A-Za-z0-9%._~-]*)", header
    )
    assert match, repr(header)
    assert unquote(match.group(2), errors="strict") == stored_name


def assert_safe_stored_name(name: str) -> None:
    assert name and len(name) <= FILENAME_MAX
    assert "/" not in name and "\\" not in name
    assert not name.startswith(".")
    assert len(name.splitlines()) == 1, repr(name)  # no CR, LF or Unicode line separators
    assert not any(unicodedata.category(ch)[0] == "C" for ch in name), repr(name)


@pytest.fixture
def case_file(town):
    return town.case_file()


@settings(FUZZ, max_examples=40)
@given(filename=file_names, content=st.binary(min_size=1, max_size=64))
def test_any_file_name_is_stored_safely_and_offered_in_a_well_formed_header(
    town, case_file, settings, filename, content
):
    boundary = b"eakte-fuzz-9f2c"
    before = len(stored_objects(settings))
    response = post_raw(
        town.anna, case_file["id"], multipart([file_part(filename, content)], boundary), boundary
    )
    if response.status_code != 201:  # e.g. a NUL or line break that breaks the part header
        assert_problem(response, response.status_code)
        assert response.status_code in (400, 422)
        assert len(stored_objects(settings)) == before
        return
    document = response.get_json()
    [version] = town.anna.get(f"/documents/{document['id']}/versions").get_json()["items"]
    assert_safe_stored_name(version["filename"])
    download = town.anna.get(f"/documents/{document['id']}/content")
    assert download.status_code == 200
    assert download.data == content
    assert_well_formed_disposition(download.headers["Content-Disposition"], version["filename"])
    assert len(stored_objects(settings)) == before + 1


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("zeile\u2028umbruch\u2029.pdf", "zeileumbruch.pdf"),
        ("\u202egnp.exe", "gnp.exe"),  # a right-to-left override would show it as "exe.png"
        ("nul\x00byte.pdf", "nulbyte.pdf"),
        ("semi;colon=1.pdf", "semi;colon=1.pdf"),
        ("%2e%2e%2fetc%2fpasswd", "%2e%2e%2fetc%2fpasswd"),  # shown as sent, never decoded
        ("Ä" * 400 + ".pdf", "Ä" * (FILENAME_MAX - 4) + ".pdf"),
    ],
)
def test_hostile_names_are_kept_readable_but_harmless(town, case_file, sent, kept):
    boundary = b"eakte-names"
    body = multipart([file_part(sent, b"Inhalt")], boundary)
    response = post_raw(town.anna, case_file["id"], body, boundary)
    assert response.status_code == 201, response.get_data(as_text=True)
    document = response.get_json()
    [version] = town.anna.get(f"/documents/{document['id']}/versions").get_json()["items"]
    assert version["filename"] == kept
    assert document["title"] == kept
    headers = town.anna.get(f"/documents/{document['id']}/content").headers
    assert_well_formed_disposition(headers["Content-Disposition"], kept)


@pytest.mark.parametrize(
    "sent",
    ["crlf\r\nContent-Type: text/html\r\n\r\n<script>.pdf", "cr\rlf.pdf", "lf\nonly.pdf"],
)
def test_line_breaks_in_a_file_name_never_reach_a_header(town, case_file, ports, sent):
    """A raw CR/LF ends the part's header line: the part is then no file, or a cut-off name."""
    boundary = b"eakte-crlf"
    before = table_counts(ports)
    response = post_raw(
        town.anna, case_file["id"], multipart([file_part(sent, b"x")], boundary), boundary
    )
    if response.status_code != 201:
        assert_problem(response, response.status_code)
        assert response.status_code in (400, 422)
        assert table_counts(ports) == before
        return
    document = response.get_json()
    download = town.anna.get(f"/documents/{document['id']}/content")
    assert len(download.headers) == len(set(download.headers.keys()))  # nothing injected
    assert "text/html" not in download.headers.get("Content-Type", "")
    [version] = town.anna.get(f"/documents/{document['id']}/versions").get_json()["items"]
    assert_safe_stored_name(version["filename"])
    assert_well_formed_disposition(download.headers["Content-Disposition"], version["filename"])


TRAVERSALS = [
    "../../{marker}",
    "../../../../../../../../tmp/{marker}",
    "..\\..\\{marker}",
    "C:\\..\\{marker}",
    "/tmp/{marker}",
    "..%2f..%2f{marker}",
    "....//....//{marker}",
    "\u2025/\u2025/{marker}",  # two-dot leader, NFKC-normalises to ..
]


@pytest.mark.parametrize("pattern", TRAVERSALS)
def test_traversal_names_write_nothing_outside_the_storage_root(
    town, case_file, settings, tmp_path, pattern
):
    marker = f"eakte-traversal-{tmp_path.name}"
    boundary = b"eakte-traversal"
    body = multipart([file_part(pattern.format(marker=marker), b"Inhalt der Datei")], boundary)
    response = post_raw(town.anna, case_file["id"], body, boundary)
    assert response.status_code == 201, response.get_data(as_text=True)
    document = response.get_json()
    root = Path(settings.storage_url.removeprefix("file://")).resolve()
    written = [*tmp_path.rglob(f"*{marker}*"), *Path("/tmp").glob(f"*{marker}*")]
    for folder in list(settings.instance_path.parents)[:6]:
        written += folder.glob(f"*{marker}*")
    assert not written, "a file named by the client"
    for path in stored_objects(settings):
        assert path.resolve().is_relative_to(root)
    [version] = town.anna.get(f"/documents/{document['id']}/versions").get_json()["items"]
    assert_safe_stored_name(version["filename"])
    assert version["filename"].endswith(marker)
    download = town.anna.get(f"/documents/{document['id']}/content")
    assert download.data == b"Inhalt der Datei"
    assert_well_formed_disposition(download.headers["Content-Disposition"], version["filename"])


part_names = st.one_of(
    st.sampled_from(["file", "title", "process", "File", ""]), st.text(max_size=20)
)
media_types = st.one_of(
    st.sampled_from(["", "text/plain", "application/pdf", "multipart/mixed", 'text/html; x="\r\n']),
    st.text(string.printable, max_size=40),
)


@settings(FUZZ, max_examples=40)
@given(
    parts=st.lists(
        st.tuples(part_names, st.booleans(), media_types, st.binary(max_size=40)),
        max_size=4,
    ),
    cut=st.one_of(st.none(), st.integers(min_value=0, max_value=400)),
)
def test_odd_and_truncated_multipart_bodies_get_a_clear_answer(town, case_file, ports, parts, cut):
    boundary = b"eakte-fuzz-parts"
    encoded = []
    for name, is_file, media_type, content in parts:
        if is_file:
            encoded.append(file_part("a.txt", content, name=name, media_type=media_type))
        else:
            headers = b'Content-Disposition: form-data; name="' + header_bytes(name) + b'"'
            encoded.append((headers, content))
    body = multipart(encoded, boundary)
    if cut is not None:
        body = body[:cut]
    before = table_counts(ports)
    response = post_raw(town.anna, case_file["id"], body, boundary)
    if response.status_code == 201:
        return
    assert response.status_code in (400, 413, 422), response.get_data(as_text=True)
    assert_problem(response, response.status_code)
    assert table_counts(ports) == before


def test_a_body_that_is_not_multipart_at_all_is_a_clear_4xx(town, case_file, ports):
    before = table_counts(ports)
    for content_type, body in [
        ("multipart/form-data", b"--x\r\n"),  # no boundary parameter
        ("multipart/form-data; boundary=", b"----\r\n"),
        ("application/json", b'{"file": "Zm9v"}'),
        ("text/plain", b"Inhalt"),
    ]:
        response = town.anna.client.post(
            f"/api/v1/case-files/{case_file['id']}/documents",
            data=body,
            headers={"Authorization": f"Bearer {town.anna.token}"},
            content_type=content_type,
        )
        assert response.status_code in (400, 415, 422), (content_type, response.status_code)
        assert_problem(response, response.status_code)
    assert table_counts(ports) == before


# --- the search query parser -----------------------------------------------------------

query_words = st.one_of(
    st.sampled_from(
        [
            "OR",
            "AND",
            "&&",
            "||",
            "-",
            '"',
            '-"',
            "Baugenehmigung",
            "Straße",
            "müller",
            "*",
            "\\",
            ":",
            "(",
            ")",
            "~",
            "^2",
            "[a TO z]",
            "title:x",
            "/.*/",
            "{",
            "NOT",
            "+",
        ]
    ),
    st.text(CHARACTERS, max_size=8),
)
query_texts = st.one_of(
    st.text(max_size=600),
    st.lists(query_words, max_size=40).map(" ".join),
)


def _check_parsed(parsed: ParsedQuery) -> None:
    assert parsed.required and all(parsed.required)
    assert len(parsed.terms) <= MAX_TERMS
    for term in parsed.terms:
        assert term.text and term.text == term.text.strip()
        assert '"' not in term.text and "\\" not in term.text
        assert any(ch.isalnum() or ch == "_" for ch in term.text)


@settings(max_examples=500, deadline=None, derandomize=True, database=None)
@given(text=query_texts)
def test_the_query_parser_parses_or_refuses_but_never_crashes(text):
    try:
        parsed = parse_query(text)
    except SearchQueryError as error:
        assert error.detail
    else:
        _check_parsed(parsed)


@pytest.fixture
def indexed(town, ports):
    from tests.api.support import upload_text

    case_file = town.case_file()
    upload_text(town.anna, case_file["id"], "Die Baugenehmigung für die Straße von Müller")
    drain(ports)
    return case_file


@settings(FUZZ, max_examples=60)
@given(
    text=st.one_of(
        st.text(CHARACTERS, max_size=600), st.lists(query_words, max_size=40).map(" ".join)
    )
)
def test_the_search_endpoint_answers_any_text_with_hits_or_invalid_query(town, indexed, text):
    response = town.anna.get("/search", query_string={"q": text})
    if response.status_code == 200:
        body = response.get_json()
        assert isinstance(body["items"], list) and body["total"] >= len(body["items"])
        return
    body = assert_problem(response, 400, "invalid-query")
    assert body["detail"]


def test_an_ordinary_query_still_finds_the_document(town, indexed):
    body = town.anna.get(
        "/search", query_string={"q": 'Baugenehmigung -Abriss "Straße"'}
    ).get_json()
    assert [hit["case_file"] for hit in body["items"]] == [indexed["id"]]
