"""/api/v1/principals: users, service accounts, memberships, roles, tokens."""

from __future__ import annotations

import uuid

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
    RoleSchema,
    TokenCreatedSchema,
    TokenCreateSchema,
    TokenInfoSchema,
)
from eakte.errors import NotFoundError
from eakte.models.vocabulary import DepartmentRole, GlobalRole, PrincipalKind
from eakte.services import passwords, principals, tokens

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
    def get(self, query: dict) -> object:
        """List principals (admin)."""
        return principals.list_principals(context(), limit=query["limit"], cursor=query["cursor"])

    @idempotent(with_global_role(GlobalRole.ADMIN, "principal.create", "principal"))
    @blp.arguments(PrincipalCreateSchema)
    @blp.response(201, PrincipalSchema)
    def post(self, body: dict) -> object:
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
    def post(self, body: dict, username: str) -> object:
        """Make the principal a member of a department, or change its role there (admin)."""
        membership, created = principals.add_membership(
            context(), username, department=body["department"], role=DepartmentRole(body["role"])
        )
        return membership, 201 if created else 200

    @blp.arguments(MembershipDeleteSchema)
    @blp.response(204)
    def delete(self, body: dict, username: str) -> None:
        """End a membership, named by `{department}` in the body (admin)."""
        principals.remove_membership(context(), username, department=body["department"])


@blp.route("/<username>/memberships/<department>")
class Membership(MethodView):
    @blp.response(204)
    def delete(self, username: str, department: str) -> None:
        """End the principal's membership in `department` (admin)."""
        principals.remove_membership(context(), username, department=department)


@blp.route("/<username>/roles")
class Roles(MethodView):
    @blp.arguments(RoleSchema)
    @blp.response(201, RoleSchema)
    @blp.alt_response(200, schema=RoleSchema, description="The principal had the role already")
    def post(self, body: dict, username: str) -> object:
        """Give a global role: records_manager, auditor or admin (admin)."""
        added = principals.grant_role(context(), username, GlobalRole(body["role"]))
        return body, 201 if added else 200


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


@blp.route("/<username>/tokens")
class Tokens(MethodView):
    @blp.response(200, TokenInfoSchema(many=True))
    def get(self, username: str) -> object:
        """The principal's tokens, without their secrets (admin, or self)."""
        return tokens.list_tokens(context(), username)

    @blp.arguments(TokenCreateSchema)
    @blp.response(201, TokenCreatedSchema)
    def post(self, body: dict, username: str) -> object:
        """Create a token; it is shown only in this answer (admin, or self)."""
        token, row = tokens.create_token(context(), username, expires_at=body["expires_at"])
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
def set_password(body: dict, username: str) -> None:
    """Set a user's web sign-in password (admin); it also lifts a lockout."""
    passwords.set_password(context(), username, body["password"])
