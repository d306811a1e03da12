"""The retention run is safe on several nodes at once and behaves as a cron job should."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from eakte.models import DispositionItem, DispositionProposal
from eakte.services import retention
from eakte.services.context import Context
from tests.api.support import closed_file


@pytest.mark.postgres_only
def test_two_runs_at_once_make_one_proposal(town, ports) -> None:
    files = [closed_file(town, title=f"Wohngeld {n}")[0] for n in range(5)]
    as_of = dt.date.fromisoformat(files[0]["retain_until"]) + dt.timedelta(days=1)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run() -> None:
        with ports.session_factory() as session:
            node = Context(ports=ports, session=session, system="test-node")
            start.wait(timeout=30)
            try:
                retention.run_retention(node, as_of=as_of)
            except BaseException as error:  # reported below
                errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with ports.session_factory() as session:
        assert session.scalar(select(func.count(DispositionProposal.id))) == 1
        assert session.scalar(select(func.count()).select_from(DispositionItem)) == len(files)
