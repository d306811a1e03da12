"""The `eakte` command group and what its commands share: settings, the system context."""

from __future__ import annotations

import contextlib
import getpass
import sys
from collections.abc import Callable, Iterator

import click

from eakte.bootstrap import build_ports
from eakte.config import Settings
from eakte.db import UNAVAILABLE_ERRORS
from eakte.errors import ConfigError, EakteError
from eakte.services.context import Context, Ports


class _Group(click.Group):
    """Turns our errors into one line on stderr instead of a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ConfigError as error:
            raise click.ClickException(f"configuration: {error.detail}") from None
        except EakteError as error:
            raise click.ClickException(error.detail) from None
        except UNAVAILABLE_ERRORS as error:
            raise click.ClickException(
                f"database unavailable ({type(error).__name__}); is it running and initialised?"
            ) from None


@click.group(cls=_Group)
def main() -> None:
    """eakte: electronic records for municipalities."""


def load_settings() -> Settings:
    return Settings.from_env()


@contextlib.contextmanager
def system_context(ports: Ports | None = None) -> Iterator[Context]:
    ports = ports or build_ports(load_settings())
    session = ports.session_factory()
    try:
        yield Context(ports=ports, session=session, system=f"cli:{getpass.getuser()}")
    finally:
        session.close()


def progress(label: str) -> Callable[..., None] | None:
    """A progress line on a terminal; silent when output goes to a file or cron mail."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int | None = None) -> None:
        suffix = f"/{total}" if total else ""
        click.echo(f"\r{label} {done}{suffix}", err=True, nl=False)

    return show
