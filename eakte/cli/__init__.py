"""The `eakte` command: operator tasks on one instance.

Every command reads the same `EAKTE_*` settings as the server and acts as the
trusted `system:cli` actor through the service layer, so its actions are
audited like any other. Errors are one line on stderr and a non-zero exit.
"""

from __future__ import annotations

# Importing a command module adds its commands to the group.
from eakte.cli import people, records, running  # noqa: F401
from eakte.cli.group import main

__all__ = ["main"]
