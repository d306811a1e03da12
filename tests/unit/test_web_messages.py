"""`eakte.web.messages` and `eakte.web.error_pages`: German by reason and status."""

from __future__ import annotations

import pytest

from eakte import errors
from eakte.api.problems import STATUS_OF as API_STATUS_OF
from eakte.errors import InvalidInputError, Reason, SearchQueryError
from eakte.search.query import parse_query
from eakte.web.error_pages import STATUS_OF
from eakte.web.messages import CHECK_FIELD, REASONS, explain


def test_every_reason_has_german_words() -> None:
    assert set(REASONS) == set(Reason)


def test_the_text_follows_the_reasons_not_the_english_detail() -> None:
    error = InvalidInputError(
        "whatever the service says",
        reasons=[Reason.TOO_SHORT, Reason.CONTAINS_USERNAME],
    )
    assert explain(error) == (
        "Mindestens 12 Zeichen. Das Passwort darf den Benutzernamen nicht enthalten."
    )
    assert explain(InvalidInputError("the file is empty")) == CHECK_FIELD  # no reason given


@pytest.mark.parametrize(
    ("text", "german"),
    [
        ("", "Suchbegriff ein"),
        ('"Grundstück in', "Anführungszeichen"),
        ("OR Bauantrag", "ODER (OR)"),
        ("&& ||", "ODER (OR)"),
        ("!!!", "mindestens ein Suchwort"),
        (" ".join(f"wort{n}" for n in range(40)), "zu viele Wörter"),
        ("x" * 600, "zu lang"),
    ],
)
def test_each_search_query_problem_has_its_own_german_text(text: str, german: str) -> None:
    with pytest.raises(SearchQueryError) as caught:
        parse_query(text)
    assert german in explain(caught.value)


def test_pages_answer_with_the_status_the_api_gives_the_same_error() -> None:
    classes = [value for value in vars(errors).values() if isinstance(value, type)]
    for cls in (c for c in classes if issubclass(c, errors.EakteError)):
        web = next(STATUS_OF[c] for c in cls.__mro__ if c in STATUS_OF)
        api = next(API_STATUS_OF[c][0] for c in cls.__mro__ if c in API_STATUS_OF)
        assert web == api, cls
