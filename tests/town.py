"""The town the tests work in: one description, built over whichever channel a suite uses.

Departments 32 (with 32.1) and 50, file plan 32.10 and 50.30, and their people:
anna: clerk in 32 · carla: reader in 32 · lea: lead in 32 · ben: clerk in 50 ·
bea: reader in 50 · rita: records manager · audrey: auditor.

The admin makes departments and principals over the REST API, as an integrator would,
and a records manager the file plan. What only the operator may do goes through the
operator's channel: users' tokens (an admin mints only service accounts'), confirming a
membership a lead must confirm or a grant another records manager must approve.
The channel is the Flask test client with the service layer (`InProcess`, behind the
`town` fixture's `Town`) or a real server with its CLI (`OverHttp`); a suite may build
only part of the town.
"""

from __future__ import annotations

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
    """How the builder reaches the application."""

    def post(self, token: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        """POST /api/v1{path} as the holder of `token`: the status and the JSON body."""

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
        _created(channel.post(admin, "/departments", {"code": code, **DEPARTMENTS[code]}))
    managers = [
        name for name in PEOPLE if name in people and "records_manager" in PEOPLE[name].roles
    ]
    others = [name for name in PEOPLE if name in people and name not in managers]
    tokens = {}
    for username in managers:
        tokens[username] = add_person(channel, admin, username, **vars(PEOPLE[username]))
    for code in file_plan:
        _created(channel.post(tokens[managers[0]], "/file-plan", {"code": code, **FILE_PLAN[code]}))
    for username in others:
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
    body = {"username": username, "display_name": username.title(), "kind": kind}
    _created(channel.post(admin, "/principals", body))
    if member:
        department, role = member
        path = f"/principals/{username}/memberships"
        answer = _created(channel.post(admin, path, {"department": department, "role": role}))
        if answer["state"] == "pending":
            channel.approve_membership(username, department)
    for role in roles:
        answer = _created(channel.post(admin, f"/principals/{username}/roles", {"role": role}))
        if answer["state"] == "pending":
            channel.approve_role(username, role)
    return channel.token(username)


def _created(answer: tuple[int, Any]) -> Any:
    status, body = answer
    assert status == 201, body
    return body


class InProcess:
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


class OverHttp:
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
