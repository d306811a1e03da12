"""/api/v1/principals: users, service accounts, memberships, roles, tokens."""

from __future__ import annotations

import uuid
from typing import Any

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from eakte.api.idempotency import idempotent, with_global_role
from eakte.api.requests import context
from eakte.api.schemas.common import ListQuery, page_of
from eakte.api.schemas.organisation import (
    MembershipDeleteSchema,
    MembershipOutSchema,
    MembershipSchema,
    PasswordSchema,
    PrincipalCreateSchema,
    PrincipalSchema,
    RoleOutSchema,
    RoleSchema,
    TokenCreatedSchema,
    TokenCreateSchema,
    TokenInfoSchema,
)
from eakte.errors import NotFoundError
from eakte.models.vocabulary import DepartmentRole, GlobalRole, PrincipalKind
from eakte.services import deactivation, passwords, principals, tokens

blp = Blueprint(
    "principals",
    __name__,
    url_prefix="/api/v1/principals",
    description="Users and service accounts",
)


@blp.route("")
class Principals(MethodView):
    @blp.arguments(ListQuery, location="query")
    @blp.response(200, page_of(PrincipalSchema))
    def get(self, query: dict[str, Any]) -> object:
        """List principals (admin)."""
        return principals.list_principals(context(), limit=query["limit"], cursor=query["cursor"])

    @idempotent(with_global_role(GlobalRole.ADMIN, "principal.create", "principal"))
    @blp.arguments(PrincipalCreateSchema)
    @blp.response(201, PrincipalSchema)
    def post(self, body: dict[str, Any]) -> object:
        """Create a user or service account (admin)."""
        principal = principals.create_principal(
            context(),
            username=body["username"],
            display_name=body["display_name"],
            kind=PrincipalKind(body["kind"]),
        )
        return principal, {"Location": url_for(".Principal", username=principal.username)}


@blp.route("/<username>")
class Principal(MethodView):
    @blp.response(200, PrincipalSchema)
    def get(self, username: str) -> object:
        """One principal (admin, or the principal itself)."""
        return principals.get_principal(context(), username)


@blp.route("/<username>/memberships")
class Memberships(MethodView):
    @blp.arguments(MembershipSchema)
    @blp.response(201, MembershipOutSchema)
    @blp.alt_response(
        200, schema=MembershipOutSchema, description="Role of an existing membership changed"
    )
    def post(self, body: dict[str, Any], username: str) -> object:
        """Make the principal a member of a department, or change its role there (admin).

        The membership (or a promotion) is `pending` until a lead of the department
        approves it, unless the department has no lead yet; nobody changes their own.
        """
        membership, created = principals.add_membership(
            context(), username, department=body["department"], role=DepartmentRole(body["role"])
        )
        return membership, 201 if created else 200

    @blp.arguments(MembershipDeleteSchema)
    @blp.response(204)
    def delete(self, body: dict[str, Any], username: str) -> None:
        """End a membership, named by `{department}` in the body (admin)."""
        principals.remove_membership(context(), username, department=body["department"])


@blp.route("/<username>/memberships/<department>")
class Membership(MethodView):
    @blp.response(204)
    def delete(self, username: str, department: str) -> None:
        """End the principal's membership in `department` (admin)."""
        principals.remove_membership(context(), username, department=department)


@blp.route("/<username>/memberships/<department>/approve", methods=["POST"])
@blp.response(200, MembershipOutSchema)
def approve_membership(username: str, department: str) -> object:
    """Confirm a pending membership or promotion (a lead of the department, not its subject)."""
    return principals.approve_membership(context(), username, department=department)


@blp.route("/<username>/roles")
class Roles(MethodView):
    @blp.arguments(RoleSchema)
    @blp.response(201, RoleOutSchema)
    @blp.alt_response(
        200, schema=RoleOutSchema, description="The principal had (or awaits) the role already"
    )
    def post(self, body: dict[str, Any], username: str) -> object:
        """Give a global role: records_manager, auditor or admin (admin).

        A records_manager grant is `pending` until another records manager approves
        it (unless none exists yet); an admin never holds records_manager.
        """
        grant, added = principals.grant_role(context(), username, GlobalRole(body["role"]))
        return grant, 201 if added else 200


@blp.route("/<username>/roles/<role>")
class Role(MethodView):
    @blp.response(204)
    def delete(self, username: str, role: str) -> None:
        """Take a global role away (admin)."""
        try:
            global_role = GlobalRole(role)
        except ValueError:
            raise NotFoundError(f"unknown role {role!r}") from None
        principals.revoke_role(context(), username, global_role)


@blp.route("/<username>/roles/<role>/approve", methods=["POST"])
@blp.response(200, RoleOutSchema)
def approve_role(username: str, role: str) -> object:
    """Approve a pending records_manager grant (another records manager)."""
    if role != GlobalRole.RECORDS_MANAGER.value:
        raise NotFoundError("only records_manager grants wait for approval")
    return principals.approve_role(context(), username, GlobalRole.RECORDS_MANAGER)


@blp.route("/<username>/tokens")
class Tokens(MethodView):
    @blp.response(200, TokenInfoSchema(many=True))
    def get(self, username: str) -> object:
        """The principal's tokens, without their secrets (admin, or self)."""
        return tokens.list_tokens(context(), username)

    @blp.arguments(TokenCreateSchema)
    @blp.response(201, TokenCreatedSchema)
    def post(self, body: dict[str, Any], username: str) -> object:
        """Create a token; it is shown only in this answer.

        For oneself, or by an admin for a service account: never for another user.
        """
        token, row = tokens.create_token(
            context(),
            username,
            expires_at=body["expires_at"],
            never_expires=body["never_expires"],
        )
        return {"id": row.id, "token": token, "expires_at": row.expires_at}


@blp.route("/<username>/tokens/<uuid:token_id>")
class Token(MethodView):
    @blp.response(204)
    def delete(self, username: str, token_id: uuid.UUID) -> None:
        """Revoke a token (admin, or self)."""
        tokens.revoke_token(context(), username, token_id)


@blp.route("/<username>/password", methods=["POST"])
@blp.arguments(PasswordSchema)
@blp.response(204)
def set_password(body: dict[str, Any], username: str) -> None:
    """Set a user's web sign-in password.

    An admin sets a temporary one for another user (lifts a lockout, ends the user's
    sessions and API tokens); users change their own with `current_password`.
    """
    ctx = context()
    if ctx.actor is not None and ctx.actor.username == username:
        passwords.change_own_password(ctx, body["current_password"] or "", body["password"])
    else:
        passwords.set_password(ctx, username, body["password"])


@blp.route("/<username>/deactivate", methods=["POST"])
@blp.response(200, PrincipalSchema)
def deactivate(username: str) -> object:
    """Deactivate a principal: tokens and sessions end at once, history stays (admin)."""
    deactivation.deactivate_principal(context(), username)
    return principals.get_principal(context(), username)


@blp.route("/<username>/reactivate", methods=["POST"])
@blp.response(200, PrincipalSchema)
def reactivate(username: str) -> object:
    """Reactivate a principal; its old tokens stay revoked (admin)."""
    deactivation.reactivate_principal(context(), username)
    return principals.get_principal(context(), username)
