"""The query language clerks type, parsed once into a small tree every engine can run.

    Bauantrag Genehmigung      both words (AND is the default)
    "Bauantrag Müller"         the exact phrase
    Bauantrag OR Baugesuch     either word
    Bauantrag -Abriss          without documents that contain "Abriss"

Nothing of the engines' own syntax (fields, regexes, boosts) reaches them, so
a query can neither widen the security filter nor crash the engine; what
cannot be parsed is a `SearchQueryError` with a message a clerk understands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from eakte.errors import Reason, SearchQueryError

MAX_QUERY_CHARS = 500
MAX_TERMS = 32
MISPLACED_OR = "OR must stand between two search words"

_TOKEN = re.compile(r'\s*(-?)(?:"([^"]*)("?)|(\S+))')
_WORD_CHAR = re.compile(r"\w")
# Characters the engines' own parsers treat as syntax; they carry no meaning in a word.
_SYNTAX_CHARS = re.compile(r'["\\]')


@dataclass(frozen=True)
class Term:
    """A word or a phrase, as typed; each engine analyses it like the indexed text."""

    text: str
    phrase: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    required: tuple[tuple[Term, ...], ...]  # every group must match one of its terms
    excluded: tuple[Term, ...] = ()

    @property
    def terms(self) -> list[Term]:
        return [term for group in self.required for term in group] + list(self.excluded)


def parse_query(text: str) -> ParsedQuery:
    text = text.strip()
    if not text:
        raise SearchQueryError("the search text is empty", reasons=[Reason.QUERY_EMPTY])
    if len(text) > MAX_QUERY_CHARS:
        raise SearchQueryError(
            f"the search text is longer than {MAX_QUERY_CHARS} characters",
            reasons=[Reason.QUERY_TOO_LONG],
        )
    required: list[list[Term]] = []
    excluded: list[Term] = []
    pending_or = False
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:  # only trailing white space is left
            break
        position = match.end()
        negated, phrase, closed, word = match.groups()
        if phrase is not None and not closed:
            raise SearchQueryError(
                'a quotation mark (") is not closed', reasons=[Reason.QUOTE_NOT_CLOSED]
            )
        if word in ("AND", "&&"):
            continue
        if word in ("OR", "||"):
            if not required or pending_or or negated:
                raise SearchQueryError(MISPLACED_OR, reasons=[Reason.OR_MISPLACED])
            pending_or = True
            continue
        term = _term(phrase if phrase is not None else word)
        if term is None:
            continue
        if negated:
            if pending_or:
                raise SearchQueryError(MISPLACED_OR, reasons=[Reason.OR_MISPLACED])
            excluded.append(term)
        elif pending_or:
            required[-1].append(term)
            pending_or = False
        else:
            required.append([term])
    if pending_or:
        raise SearchQueryError(MISPLACED_OR, reasons=[Reason.OR_MISPLACED])
    if not required:
        raise SearchQueryError(
            "the search needs at least one word to look for", reasons=[Reason.NO_WORD]
        )
    if sum(len(group) for group in required) + len(excluded) > MAX_TERMS:
        raise SearchQueryError(
            f"the search has more than {MAX_TERMS} words", reasons=[Reason.TOO_MANY_WORDS]
        )
    return ParsedQuery(tuple(tuple(group) for group in required), tuple(excluded))


def _term(raw: str) -> Term | None:
    cleaned = " ".join(_SYNTAX_CHARS.sub(" ", raw).split())
    if not _WORD_CHAR.search(cleaned):
        return None  # punctuation alone finds nothing; dropping it keeps AND meaningful
    return Term(cleaned, phrase=len(cleaned.split()) > 1)
