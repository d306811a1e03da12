"""Aktenzeichen stay unique and gap-free when many clerks file at the same moment."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

from eakte.models.vocabulary import DepartmentRole, Disposition, PrincipalKind
from eakte.services import case_files, departments, file_plan, principals
from eakte.services.context import Context

PARALLEL = 20


def test_twenty_parallel_creates_get_twenty_consecutive_numbers(ports, system):
    departments.create_department(system, code="32", name="Ordnungsamt", parent=None)
    file_plan.create_node(
        system,
        code="32.10",
        title="Gewerbe",
        parent=None,
        retention_years=10,
        disposition=Disposition.ARCHIVE,
    )
    principals.create_principal(
        system, username="anna", display_name="Anna", kind=PrincipalKind.USER
    )
    principals.add_membership(system, "anna", department="32", role=DepartmentRole.CLERK)
    start = threading.Barrier(PARALLEL)

    def create(i: int) -> str:
        with ports.session_factory() as session:
            anna = Context(ports=ports, session=session)
            anna.actor = principals.find_principal(anna, "anna")
            session.commit()  # end the read: on SQLite it holds the write lock
            start.wait(timeout=30)
            return case_files.create_case_file(
                anna, file_plan="32.10", department="32", title=f"Antrag {i}"
            ).reference

    with ThreadPoolExecutor(PARALLEL) as pool:
        references = list(pool.map(create, range(PARALLEL)))

    numbers = sorted(int(re.fullmatch(r"32\.10-(\d{4})/\d{4}", r).group(1)) for r in references)
    assert numbers == list(range(1, PARALLEL + 1))
