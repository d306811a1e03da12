"""The document preview is the one answer our own pages may frame; the pages themselves not."""

from __future__ import annotations

from tests.api.support import assert_not_framable, directives
from tests.web.support import PDF, document_ids, upload


def test_the_preview_may_be_framed_by_our_own_pages_only(town, browser_for) -> None:
    anna = browser_for("anna")
    akte = town.case_file()
    listing = upload(anna, akte, [(PDF, "bescheid.pdf")])
    (document_id,) = document_ids(anna.get(listing.headers["Location"]).get_data(as_text=True))
    page = anna.get(f"/dokumente/{document_id}")
    assert "<iframe" in page.get_data(as_text=True)
    assert_not_framable(page)  # the Dokument page itself is framed by nobody
    frame = anna.get(f"/dokumente/{document_id}/inhalt?version=1&inline=1")
    assert frame.status_code == 200 and frame.data == PDF
    assert directives(frame)["frame-ancestors"] == "'self'"  # the Dokument page's <iframe>
    assert frame.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert directives(frame)["default-src"] == "'none'"  # the content runs nothing of ours
    assert frame.headers["X-Content-Type-Options"] == "nosniff"
    download = anna.get(f"/dokumente/{document_id}/inhalt?version=1")
    assert download.headers["Content-Disposition"].startswith("attachment;")
