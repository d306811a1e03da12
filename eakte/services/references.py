"""Handing out Aktenzeichen: gap-free running numbers per file plan node and year.

The counter row is incremented inside the creating transaction, so its row
lock serialises concurrent creators of the same node and year on PostgreSQL
(SQLite serialises all writers anyway) and a rolled-back create gives its
number back.
"""

from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from eakte.models import ReferenceCounter


def next_running_number(session: Session, node_id: uuid.UUID, year: int) -> int:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(ReferenceCounter)
        .values(file_plan_node_id=node_id, year=year, last_number=0)
        .on_conflict_do_nothing()
    )
    return session.execute(
        update(ReferenceCounter)
        .where(ReferenceCounter.file_plan_node_id == node_id, ReferenceCounter.year == year)
        .values(last_number=ReferenceCounter.last_number + 1)
        .returning(ReferenceCounter.last_number)
    ).scalar_one()
