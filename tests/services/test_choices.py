"""The searches behind the pickers: every word typed must match; a department's positions."""

from __future__ import annotations

from eakte.services import case_files, choices, departments
from tests.helpers import audit_events


def codes(found) -> list[str]:
    return [item.code for item in found]


def test_every_word_matches_code_or_name_and_wildcards_are_plain_text(service, people):
    with service.acting(people["anna"]) as anna:
        assert codes(choices.search_departments(anna, "Sozialamt")) == ["50"]
        assert codes(choices.search_departments(anna, "50 Sozialamt")) == ["50"]
        assert codes(choices.search_departments(anna, "32")) == ["32", "32.1"]
        assert codes(choices.search_departments(anna, "%")) == []
        assert codes(choices.search_departments(anna, "")) == ["32", "32.1", "50"]
        found = choices.search_people(anna, "Ben (ben)")
        assert [p.username for p in found] == ["ben"]
        assert [p.username for p in choices.search_people(anna, "_")] == []
    counted = audit_events(service.ports, actor="anna", action="principal.search")
    assert [e.details["count"] for e in counted] == [1, 0]
    assert not any("ben" in str(e.details) for e in counted)  # never the words typed


def test_a_departments_positions_by_number_or_by_use_and_unlimited_without_any(service, people):
    with service.acting(people["admin"]) as admin:
        departments.create_department(admin, code="63", name="Bauordnungsamt", parent=None)
    with service.acting(people["anna"]) as anna:
        unit = {u.code: u for u in choices.search_departments(anna, "")}
        # 32.10 carries the Ordnungsamt's number, and so belongs to 32 and to 32.1.
        assert choices.own_positions(anna, [unit["32.1"]]) == {"32.10"}
        nodes, own = choices.search_positions(anna, "", departments=[unit["32"]], everywhere=False)
        assert codes(nodes) == ["32.10"] and own == {"32.10"}
        nodes, _ = choices.search_positions(anna, "", departments=[unit["32"]], everywhere=True)
        assert codes(nodes) == ["32.10", "50.30"]
        # An Amt whose number no position carries is not limited.
        nodes, own = choices.search_positions(anna, "", departments=[unit["63"]], everywhere=False)
        assert codes(nodes) == ["32.10", "50.30"] and own == frozenset()
    with service.acting(people["ben"]) as ben:
        case_files.create_case_file(ben, file_plan="32.10", department="50", title="Gewerbe?")
        fifty = choices.search_departments(ben, "Sozialamt")
        assert choices.own_positions(ben, fifty) == {"32.10", "50.30"}  # used there now
