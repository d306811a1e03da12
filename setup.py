"""The one thing setup.cfg cannot say: the top-level migrations/ ships inside the package.

The Alembic scripts stay where developers and the `alembic` command expect them
(migrations/, alembic.ini), and an installed wheel carries them as
`eakte/_migrations/`, where `eakte.migrations` finds them (as warehouse and Indico
ship theirs). Everything else is declared in setup.cfg.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=[
        # Namespace discovery also names eakte/web/templates and static, whose files
        # are package data (setup.cfg); setuptools warns about them otherwise.
        *find_namespace_packages(include=["eakte", "eakte.*"], exclude=["*.__pycache__"]),
        "eakte._migrations",
        "eakte._migrations.versions",
    ],
    package_dir={"eakte._migrations": "migrations"},
)
