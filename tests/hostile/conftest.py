"""Hostile input runs on the embedded SQLite default only: the attacks target the HTTP
edge, the parsers and the extraction child, not the database engine."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def database_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "eakte.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"
