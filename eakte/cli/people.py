"""Operator commands for people: principals, memberships, roles, tokens, passwords."""

from __future__ import annotations

import datetime as dt
import getpass
import re
import sys

import click

from eakte.cli.group import main, system_context
from eakte.models.vocabulary import (
    USERNAME_PATTERN,
    DepartmentRole,
    GlobalRole,
    PrincipalKind,
    values,
)
from eakte.services import deactivation, principals, tokens


@main.group()
def principal() -> None:
    """Users and service accounts."""


@principal.command("add")
@click.argument("username")
@click.option("--service", is_flag=True, help="A service account for another application.")
@click.option("--display-name", help="Shown name; defaults to the username.")
def principal_add(username: str, service: bool, display_name: str | None) -> None:
    """Create a user (or a service account with --service)."""
    kind = PrincipalKind.SERVICE if service else PrincipalKind.USER
    _check_username(username)
    with system_context() as system:
        principals.create_principal(
            system, username=username, display_name=display_name or username, kind=kind
        )
    click.echo(f"created {kind.value} {username}", err=True)


@principal.command("deactivate")
@click.argument("username")
def principal_deactivate(username: str) -> None:
    """Deactivate USERNAME: its tokens and web sessions end at once, sign-in is refused."""
    with system_context() as system:
        deactivation.deactivate_principal(system, username)
    click.echo(f"{username} is deactivated; its tokens and sessions have ended", err=True)


@principal.command("reactivate")
@click.argument("username")
def principal_reactivate(username: str) -> None:
    """Reactivate USERNAME (its old tokens stay revoked: create a new one)."""
    with system_context() as system:
        deactivation.reactivate_principal(system, username)
    click.echo(f"{username} is active again", err=True)


@main.group()
def member() -> None:
    """Department memberships."""


@member.command("add")
@click.argument("username")
@click.option("--department", required=True, help="Department code, e.g. 32.")
@click.option("--role", required=True, type=click.Choice(values(DepartmentRole)))
def member_add(username: str, department: str, role: str) -> None:
    """Make USERNAME a member of a department with a role (or change the role)."""
    with system_context() as system:
        principals.add_membership(
            system, username, department=department, role=DepartmentRole(role)
        )
    click.echo(f"{username} is {role} in {department}", err=True)


@main.group()
def role() -> None:
    """Global roles."""


@role.command("grant")
@click.argument("username")
@click.argument("role_name", metavar="ROLE", type=click.Choice(values(GlobalRole)))
def role_grant(username: str, role_name: str) -> None:
    """Give USERNAME a global role."""
    with system_context() as system:
        principals.grant_role(system, username, GlobalRole(role_name))
    click.echo(f"{username} has role {role_name}", err=True)


@main.group()
def token() -> None:
    """API tokens."""


@token.command("create")
@click.argument("username")
@click.option("--days", type=click.IntRange(1, 3650), help="Valid for this many days.")
@click.option(
    "--no-expiry", is_flag=True, help="Never expires (service accounts; revoke when unused)."
)
def token_create(username: str, days: int | None, no_expiry: bool) -> None:
    """Create a token for USERNAME; prints only the token."""
    with system_context() as system:
        expires_at = system.now() + dt.timedelta(days=days) if days else None
        plain, _ = tokens.create_token(
            system, username, expires_at=expires_at, never_expires=no_expiry
        )
    click.echo(plain)


@main.group()
def password() -> None:
    """Web sign-in passwords."""


@password.command("set")
@click.argument("username")
def password_set(username: str) -> None:
    """Set USERNAME's password, read from standard input (asked twice on a terminal)."""
    if sys.stdin.isatty():
        new = getpass.getpass("New password: ")
        if getpass.getpass("Repeat it: ") != new:
            raise click.ClickException("the two entries differ; nothing was changed")
    else:
        new = sys.stdin.readline().rstrip("\r\n")
    from eakte.services.passwords import set_password

    with system_context() as system:
        set_password(system, username, new)
    click.echo(f"password of {username} set", err=True)


def _check_username(username: str) -> None:
    if not re.fullmatch(USERNAME_PATTERN, username):
        raise click.ClickException(
            f"invalid username {username!r}: "
            "2-64 characters, lower-case letters, digits, '.', '_' or '-'"
        )
