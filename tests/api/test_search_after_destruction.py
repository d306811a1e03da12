"""Nothing of a destroyed document is served by search, whatever state the index is in.

The worker is stopped throughout (the outbox is not drained after the
destruction), so the index still holds the destroyed text: search must leave it
out by itself, in its totals as much as in its hits.
"""

from __future__ import annotations

import sqlalchemy as sa

from eakte.models import Department, SearchOutbox
from eakte.search.base import SearchQuery
from eakte.search.query import parse_query
from eakte.services import keys, retention
from tests.api.support import drain, search, stored_version, upload_text

DESTROYED_TEXT = "Wohngeldbescheid für Familie Sommer, Lindenstraße 4: Einkommen 1.850 Euro."
KEPT_TEXT = "Wohngeldbescheid für Familie Winter, Birkenweg 9."


def hits(who, q: str) -> tuple[int, list[str], str]:
    """Total, document ids and every highlight as one text."""
    response = search(who, q)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    return (
        body["total"],
        [item["document"] for item in body["items"]],
        " ".join(" ".join(item["highlights"]) for item in body["items"]),
    )


def in_the_index(ports, q: str, document_id: str) -> bool:
    """Asks the index itself, past the service: is the document still in there?"""
    with ports.session_factory() as session:
        department = session.scalar(sa.select(Department.id).where(Department.code == "50"))
    query = SearchQuery(parse_query(q), frozenset({f"dept:{department}"}), limit=50)
    return document_id in {hit.document_id for hit in ports.search_index.search(query).hits}


def pending_outbox(ports) -> int:
    with ports.session_factory() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(SearchOutbox))


def test_right_after_a_destruction_search_serves_nothing_of_the_file(
    town,
    ports,
    system,
    clock,
) -> None:
    now = clock()
    clock.set(now.replace(year=now.year - 12, day=min(now.day, 28)))  # closed long ago
    doomed = town.case_file(town.ben, title="Wohngeld Sommer", file_plan="50.30", department="50")
    destroyed = upload_text(town.ben, doomed["id"], DESTROYED_TEXT, title="Bescheid Sommer")
    assert town.ben.post(f"/case-files/{doomed['id']}/close").status_code == 200
    kept_file = town.case_file(
        town.ben, title="Wohngeld Winter", file_plan="50.30", department="50"
    )
    kept = upload_text(town.ben, kept_file["id"], KEPT_TEXT, title="Bescheid Winter")
    clock.set(now)
    drain(ports)
    total, found, _ = hits(town.ben, "Wohngeldbescheid")
    assert (total, set(found)) == (2, {destroyed["id"], kept["id"]})

    [proposal_id] = retention.run_retention(system, as_of=now.date()).proposals
    assert town.rita.post(f"/disposition/proposals/{proposal_id}/approve").status_code == 200
    rolf = town.person("rolf", roles=["records_manager"])
    done = rolf.post(f"/disposition/proposals/{proposal_id}/approve").get_json()
    assert [item["state"] for item in done["items"]] == ["destroyed"]

    # The worker has not run: the index still holds the destroyed text.
    assert pending_outbox(ports) > 0
    assert in_the_index(ports, "Lindenstraße", destroyed["id"])

    total, found, highlights = hits(town.ben, "Wohngeldbescheid")
    assert (total, found) == (1, [kept["id"]])
    assert "Sommer" not in highlights and "Lindenstraße" not in highlights
    for words in ("Lindenstraße", "Sommer", "Einkommen", doomed["reference"]):
        assert hits(town.ben, words) == (0, [], ""), words
    assert search(town.ben, "Wohngeldbescheid", case_file=doomed["id"]).get_json() == {
        "items": [],
        "next": None,
        "total": 0,
    }

    drain(ports)  # the worker catches up: the same answers
    assert not in_the_index(ports, "Lindenstraße", destroyed["id"])
    assert hits(town.ben, "Wohngeldbescheid")[:2] == (1, [kept["id"]])
    assert hits(town.ben, "Lindenstraße") == (0, [], "")


def test_a_stale_index_without_queued_removals_still_serves_no_destroyed_hit(
    town,
    ports,
    system,
) -> None:
    """An index restored from an old backup, say: nothing tells the engine to leave the
    document out, so the page check drops it (the total cannot know better)."""
    case_file = town.case_file(town.ben, title="Wohngeld", file_plan="50.30", department="50")
    document = upload_text(town.ben, case_file["id"], DESTROYED_TEXT, title="Bescheid")
    drain(ports)
    keys.shred_version(system, stored_version(ports, document["id"]).id, reason="test")
    with ports.session_factory() as session, session.begin():
        session.execute(sa.delete(SearchOutbox))  # the removal is lost
    assert in_the_index(ports, "Lindenstraße", document["id"])
    _, found, highlights = hits(town.ben, "Lindenstraße")
    assert (found, highlights) == ([], "")


def test_a_shredded_latest_version_leaves_search_at_once(town, ports, system) -> None:
    """Withdrawal is per document too, not only per disposed case file."""
    case_file = town.case_file(town.ben, title="Wohngeld", file_plan="50.30", department="50")
    shredded = upload_text(town.ben, case_file["id"], DESTROYED_TEXT, title="Bescheid Sommer")
    other = upload_text(town.ben, case_file["id"], KEPT_TEXT, title="Bescheid Winter")
    drain(ports)
    version = stored_version(ports, shredded["id"])
    keys.shred_version(system, version.id, reason="Löschung nach Art. 17 DSGVO")
    assert hits(town.ben, "Wohngeldbescheid")[:2] == (1, [other["id"]])
    assert hits(town.ben, "Lindenstraße") == (0, [], "")
