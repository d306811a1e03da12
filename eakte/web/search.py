"""Suche: ein Suchfeld, Treffer mit Aktenzeichen, Titel und markierten Stellen.

The page runs the same search use case as GET /api/v1/search: the caller's
rights go into the engine's filter, so totals and snippets only ever cover
documents the user may read. Snippets arrive HTML-escaped from the service with
the matched words in <mark>; the template marks them safe for that reason only.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from flask import Response, make_response, render_template, request

from eakte.errors import InvalidInputError, SearchQueryError
from eakte.models.vocabulary import CODE_PATTERN
from eakte.search.base import SearchFilters
from eakte.services import departments, file_plan
from eakte.services import search as search_service
from eakte.services.search import SearchPage
from eakte.web.blueprint import blp
from eakte.web.formatting import parse_day
from eakte.web.messages import DATE_HINT, QUERY_UNCLEAR, explain
from eakte.web.session import ctx, signed_in

PAGE_SIZE = 20
CODE = re.compile(f"^{CODE_PATTERN}$")

# The "Dateiart" filter: what a clerk calls it, and the media type the index stores.
MEDIA_TYPES = [
    ("application/pdf", "PDF"),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word"),
    ("application/vnd.oasis.opendocument.text", "OpenDocument-Text"),
    ("text/plain", "Text"),
    ("text/html", "HTML"),
    ("image/jpeg", "Bild (JPEG)"),
    ("image/png", "Bild (PNG)"),
    ("image/tiff", "Bild (TIFF)"),
]
MEDIA_LABELS = dict(MEDIA_TYPES)

PAGING_MESSAGE = (
    "Diese Trefferseite passt nicht mehr zur Suche. Bitte starten Sie die Suche neu "
    "oder grenzen Sie sie mit Filtern ein."
)


@dataclass
class SearchForm:
    """What the user typed, and what is wrong with it (German, per field)."""

    q: str = ""
    department: str = ""
    file_plan: str = ""
    media_type: str = ""
    since: str = ""
    until: str = ""
    cursor: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_args(cls) -> SearchForm:
        args = request.args
        return cls(
            q=args.get("q", "").strip(),
            department=args.get("amt", "").strip(),
            file_plan=args.get("aktenplan", "").strip(),
            media_type=args.get("art", "").strip(),
            since=args.get("von", "").strip(),
            until=args.get("bis", "").strip(),
            cursor=args.get("weiter", "").strip(),
        )

    @property
    def asked(self) -> bool:
        return any(
            (self.q, self.department, self.file_plan, self.media_type, self.since, self.until)
        )

    def query_args(self) -> dict[str, str]:
        """The search's own parameters (for the next page's link), without empty ones."""
        values = {
            "q": self.q,
            "amt": self.department,
            "aktenplan": self.file_plan,
            "art": self.media_type,
            "von": self.since,
            "bis": self.until,
        }
        return {key: value for key, value in values.items() if value}

    def filters(self) -> SearchFilters | None:
        """The filters for the service, or None when a field needs correcting."""
        for name, value, label in (
            ("department", self.department, "Amt"),
            ("file_plan", self.file_plan, "Aktenplan"),
        ):
            if value and not CODE.match(value):
                self.errors[name] = f"Bitte wählen Sie ein {label} aus der Liste."
        if self.media_type and self.media_type not in MEDIA_LABELS:
            self.errors["media_type"] = "Bitte wählen Sie eine Dateiart aus der Liste."
        since = self._date("since", self.since)
        until = self._date("until", self.until)
        if since and until and since > until:
            self.errors["until"] = "Das Datum „bis“ darf nicht vor dem Datum „von“ liegen."
        if self.errors:
            return None
        start, end = search_service.day_range(since, until, ctx())
        return SearchFilters(
            department=self.department or None,
            file_plan=self.file_plan or None,
            media_type=self.media_type or None,
            modified_from=start,
            modified_until=end,
        )

    def _date(self, name: str, value: str) -> dt.date | None:
        if not value:
            return None
        day = parse_day(value)
        if day is None:
            self.errors[name] = DATE_HINT
        return day


@blp.get("/suche")
@signed_in
def search() -> Response:
    """Suche: full-text search over the documents the user may read."""
    form = SearchForm.from_args()
    page: SearchPage | None = None
    filters = form.filters() if form.asked else None
    if filters is not None:
        try:
            page = search_service.search(
                ctx(), form.q, filters, limit=PAGE_SIZE, cursor=form.cursor or None
            )
        except SearchQueryError as error:
            form.errors["q"] = explain(error, QUERY_UNCLEAR)
        except InvalidInputError:
            form.errors["q"] = PAGING_MESSAGE
    body = render_template(
        "suche.html",
        form=form,
        page=page,
        departments=departments.list_departments(ctx(), limit=100, cursor=None).items,
        nodes=file_plan.list_nodes(ctx()),
        media_types=MEDIA_TYPES,
        media_labels=MEDIA_LABELS,
    )
    return make_response(body, 400 if form.errors else 200)
