"""Running the Alembic migrations from inside the product (`eakte init`, tests).

The scripts live in the checkout's top-level migrations/ (with alembic.ini, for
developers); a wheel carries the same files as eakte/_migrations/ (see setup.py).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

_PACKAGE = Path(__file__).resolve().parent
# Installed from a wheel first: beside site-packages/eakte there may be anything.
_LOCATIONS = (_PACKAGE / "_migrations", _PACKAGE.parent / "migrations")


def scripts_location() -> Path:
    for location in _LOCATIONS:
        if (location / "env.py").is_file():
            return location
    searched = ", ".join(str(location) for location in _LOCATIONS)
    raise RuntimeError(f"the migration scripts are missing (looked in {searched}); reinstall eakte")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(scripts_location()))
    # ConfigParser interpolates '%': a password may contain one.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_to_head(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "head")


def is_at_head(engine: Engine) -> bool:
    head = ScriptDirectory.from_config(alembic_config(str(engine.url))).get_current_head()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head
