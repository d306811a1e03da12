"""The town the tests work in: one description, built over whichever channel a suite uses.

Departments 32 (with 32.1) and 50, file plan 32.10 and 50.30, and their people:
anna: clerk in 32 · carla: reader in 32 · lea: lead in 32 · ben: clerk in 50 ·
bea: reader in 50 · rita: records manager · audrey: auditor.

The admin makes departments and principals, as an integrator would, and a records
manager the file plan. What only the operator may do goes through the operator's
channel: users' tokens (an admin mints only service accounts'), confirming a membership
a lead must confirm or a grant another records manager must approve.
The channel is the REST API through the Flask test client with the service layer as
the operator (`InProcess`, behind the `town` fixture's `Town`), a real server with its
CLI (`OverHttp`), or the service layer alone (`ServiceLayer`, tests/services); a suite
may build only part of the town.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from tests.helpers import ApiClient

DEPARTMENTS: dict[str, dict[str, str]] = {
    "32": {"name": "Ordnungsamt"},
    "32.1": {"name": "Gewerbe", "parent": "32"},
    "50": {"name": "Sozialamt"},
}
FILE_PLAN: dict[str, dict[str, Any]] = {
    "32.10": {"title": "Gewerbeangelegenheiten", "retention_years": 10, "disposition": "archive"},
    "50.30": {"title": "Wohngeld", "retention_years": 6, "disposition": "destroy"},
}


@dataclass(frozen=True)
class Person:
    member: tuple[str, str] | None = None  # (department, role)
    roles: tuple[str, ...] = ()


# Made in this order, records managers first (the file plan needs one): a lead made
# after the clerks leaves their memberships needing no confirmation.
PEOPLE: dict[str, Person] = {
    "rita": Person(roles=("records_manager",)),
    "anna": Person(member=("32", "clerk")),
    "carla": Person(member=("32", "reader")),
    "lea": Person(member=("32", "lead")),
    "ben": Person(member=("50", "clerk")),
    "bea": Person(member=("50", "reader")),
    "audrey": Person(roles=("auditor",)),
}


class Channel(Protocol):
    """How the builder reaches the application; every caller is named by a token."""

    def add_department(self, admin: str, body: dict[str, Any]) -> None: ...

    def add_principal(self, admin: str, body: dict[str, Any]) -> None: ...

    def add_membership(self, admin: str, username: str, department: str, role: str) -> str:
        """The membership's state (`pending` while it waits for a lead)."""

    def grant_role(self, admin: str, username: str, role: str) -> str:
        """The grant's state (`pending` while it waits for another records manager)."""

    def add_file_plan_node(self, manager: str, body: dict[str, Any]) -> None: ...

    def token(self, username: str) -> str:
        """A new token for the user, from the operator."""

    def approve_membership(self, username: str, department: str) -> None: ...

    def approve_role(self, username: str, role: str) -> None: ...


def build(
    channel: Channel,
    admin: str,
    *,
    departments: tuple[str, ...] = tuple(DEPARTMENTS),
    file_plan: tuple[str, ...] = tuple(FILE_PLAN),
    people: tuple[str, ...] = tuple(PEOPLE),
) -> dict[str, str]:
    """Make the town (or the named part of it); the people's tokens by username."""
    for code in departments:
        channel.add_department(admin, {"code": code, **DEPARTMENTS[code]})
    chosen = [name for name in PEOPLE if name in people]
    managers = [name for name in chosen if "records_manager" in PEOPLE[name].roles]
    tokens = {}
    for username in managers:
        tokens[username] = add_person(channel, admin, username, **vars(PEOPLE[username]))
    for code in file_plan:
        channel.add_file_plan_node(tokens[managers[0]], {"code": code, **FILE_PLAN[code]})
    for username in chosen:
        if username not in tokens:
            tokens[username] = add_person(channel, admin, username, **vars(PEOPLE[username]))
    return tokens


def add_person(
    channel: Channel,
    admin: str,
    username: str,
    *,
    member: tuple[str, str] | None = None,
    roles: tuple[str, ...] = (),
    kind: str = "user",
) -> str:
    """A principal made by the admin, its rights confirmed as they would be; its token."""
    channel.add_principal(
        admin, {"username": username, "display_name": username.title(), "kind": kind}
    )
    if member:
        department, role = member
        if channel.add_membership(admin, username, department, role) == "pending":
            channel.approve_membership(username, department)
    for role in roles:
        if channel.grant_role(admin, username, role) == "pending":
            channel.approve_role(username, role)
    return channel.token(username)


class _Rest:
    """The builder's calls as POSTs to /api/v1, for a channel that sends them."""

    def post(self, token: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        """POST /api/v1{path} as the holder of `token`: the status and the JSON body."""
        raise NotImplementedError

    def _created(self, token: str, path: str, body: dict[str, Any]) -> Any:
        status, answer = self.post(token, path, body)
        assert status == 201, answer
        return answer

    def add_department(self, admin: str, body: dict[str, Any]) -> None:
        self._created(admin, "/departments", body)

    def add_principal(self, admin: str, body: dict[str, Any]) -> None:
        self._created(admin, "/principals", body)

    def add_membership(self, admin: str, username: str, department: str, role: str) -> str:
        body = {"department": department, "role": role}
        return self._created(admin, f"/principals/{username}/memberships", body)["state"]

    def grant_role(self, admin: str, username: str, role: str) -> str:
        return self._created(admin, f"/principals/{username}/roles", {"role": role})["state"]

    def add_file_plan_node(self, manager: str, body: dict[str, Any]) -> None:
        self._created(manager, "/file-plan", body)


class InProcess(_Rest):
    """The Flask test client, and the service layer as the operator's channel."""

    def __init__(self, client: Any, system: Any) -> None:
        self.client = client
        self.system = system

    def post(self, token: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        response = ApiClient(self.client, token).post(path, body)
        return response.status_code, response.get_json()

    def token(self, username: str) -> str:
        from eakte.services import tokens

        return tokens.create_token(self.system, username)[0]

    def approve_membership(self, username: str, department: str) -> None:
        from eakte.services import principals

        principals.approve_membership(self.system, username, department=department)

    def approve_role(self, username: str, role: str) -> None:
        from eakte.models.vocabulary import GlobalRole
        from eakte.services import principals

        principals.approve_role(self.system, username, GlobalRole(role))


class OverHttp(_Rest):
    """A real `eakte serve` (tests/processes.Server), and its CLI as the operator's channel."""

    def __init__(self, server: Any) -> None:
        self.server = server

    def post(self, token: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        status, _headers, answer = self.server.call("POST", path, token=token, body=body)
        return status, answer

    def token(self, username: str) -> str:
        return self.server.instance.run("token", "create", username).strip()

    def approve_membership(self, username: str, department: str) -> None:
        raise AssertionError(f"{username}'s membership in {department} waits for a lead")

    def approve_role(self, username: str, role: str) -> None:
        raise AssertionError(f"{username}'s role {role} waits for another records manager")


class ServiceLayer:
    """The use cases themselves, no HTTP (tests/services): each call one unit of work as
    the holder of a token, or as the operator."""

    def __init__(self, ports: Any) -> None:
        self.ports = ports

    @contextlib.contextmanager
    def acting(self, token: str | None = None) -> Iterator[Any]:
        """A Context for the token's holder (for the operator without a token)."""
        from eakte.services import tokens
        from eakte.services.context import Context

        session = self.ports.session_factory()
        try:
            if token is None:
                yield Context(ports=self.ports, session=session, system="test")
            else:
                ctx = Context(ports=self.ports, session=session)
                ctx.actor = tokens.authenticate(ctx, token)
                yield ctx
        finally:
            session.close()

    def add_department(self, admin: str, body: dict[str, Any]) -> None:
        from eakte.services import departments

        with self.acting(admin) as ctx:
            departments.create_department(
                ctx, code=body["code"], name=body["name"], parent=body.get("parent")
            )

    def add_principal(self, admin: str, body: dict[str, Any]) -> None:
        from eakte.models.vocabulary import PrincipalKind
        from eakte.services import principals

        with self.acting(admin) as ctx:
            principals.create_principal(
                ctx,
                username=body["username"],
                display_name=body["display_name"],
                kind=PrincipalKind(body["kind"]),
            )

    def add_membership(self, admin: str, username: str, department: str, role: str) -> str:
        from eakte.models.vocabulary import DepartmentRole
        from eakte.services import principals

        with self.acting(admin) as ctx:
            membership, _new = principals.add_membership(
                ctx, username, department=department, role=DepartmentRole(role)
            )
            return membership.state

    def grant_role(self, admin: str, username: str, role: str) -> str:
        from eakte.models.vocabulary import GlobalRole
        from eakte.services import principals

        with self.acting(admin) as ctx:
            grant, _new = principals.grant_role(ctx, username, GlobalRole(role))
            return grant.state

    def add_file_plan_node(self, manager: str, body: dict[str, Any]) -> None:
        from eakte.models.vocabulary import Disposition
        from eakte.services import file_plan

        with self.acting(manager) as ctx:
            file_plan.create_node(
                ctx,
                code=body["code"],
                title=body["title"],
                parent=body.get("parent"),
                retention_years=body["retention_years"],
                disposition=Disposition(body["disposition"]),
            )

    def token(self, username: str) -> str:
        from eakte.services import tokens

        with self.acting() as ctx:
            return tokens.create_token(ctx, username)[0]

    def approve_membership(self, username: str, department: str) -> None:
        from eakte.services import principals

        with self.acting() as ctx:
            principals.approve_membership(ctx, username, department=department)

    def approve_role(self, username: str, role: str) -> None:
        from eakte.models.vocabulary import GlobalRole
        from eakte.services import principals

        with self.acting() as ctx:
            principals.approve_role(ctx, username, GlobalRole(role))


class Town:
    """The whole town in-process (the `town` fixture): each person an `ApiClient`."""

    rita: ApiClient
    anna: ApiClient
    carla: ApiClient
    lea: ApiClient
    ben: ApiClient
    bea: ApiClient
    audrey: ApiClient

    def __init__(self, client: Any, admin_token: str, system: Any) -> None:
        self.client = client
        self.system = system
        self.admin = ApiClient(client, admin_token)
        self.channel = InProcess(client, system)
        for username, token in build(self.channel, admin_token).items():
            setattr(self, username, ApiClient(client, token))

    def person(
        self,
        username: str,
        *,
        member: tuple[str, str] | None = None,
        roles: tuple[str, ...] | list[str] = (),
        kind: str = "user",
    ) -> ApiClient:
        """Another principal, made as the town's people are."""
        token = add_person(
            self.channel, self.admin.token, username, member=member, roles=tuple(roles), kind=kind
        )
        return ApiClient(self.client, token)

    def case_file(self, who: ApiClient | None = None, **overrides: Any) -> dict[str, Any]:
        body = {
            "file_plan": "32.10",
            "department": "32",
            "title": "Gewerbeanmeldung Bäckerei Sommer",
        }
        body.update(overrides)
        response = (who or self.anna).post("/case-files", body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()
