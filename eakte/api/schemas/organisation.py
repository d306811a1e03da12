"""Departments, principals, memberships, roles and tokens."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from eakte.api.schemas.common import (
    UtcDateTime,
    choice_field,
    code_field,
    text_field,
    username_field,
)
from eakte.models.vocabulary import (
    ApprovalState,
    DepartmentRole,
    GlobalRole,
    PrincipalKind,
    values,
)


class DepartmentCreateSchema(ma.Schema):
    code = code_field(required=True)
    name = text_field(200, required=True)
    parent = code_field(load_default=None, allow_none=True)


class DepartmentSchema(ma.Schema):
    code = fields.String()
    name = fields.String()
    parent = fields.Function(lambda d: d.parent.code if d.parent else None)
    created_at = UtcDateTime()


class MembershipSchema(ma.Schema):
    department = code_field(required=True)
    role = choice_field(values(DepartmentRole), required=True)


class MembershipOutSchema(ma.Schema):
    department = fields.Function(lambda m: m.department.code)
    role = fields.String()
    state = fields.String(
        metadata={
            "description": "`active`, or `pending` until a lead of the department confirms it",
            "enum": values(ApprovalState),
        }
    )
    pending_role = fields.String(
        allow_none=True,
        metadata={"description": "A promotion waiting for a lead's confirmation"},
    )
    requested_by = fields.String(allow_none=True)
    approved_by = fields.String(allow_none=True)


class MembershipDeleteSchema(ma.Schema):
    department = code_field(required=True)
    role = choice_field(values(DepartmentRole))


class RoleSchema(ma.Schema):
    role = choice_field(values(GlobalRole), required=True)


class RoleOutSchema(ma.Schema):
    role = fields.String()
    state = fields.String(
        metadata={
            "description": "`active`, or `pending` until another records manager approves",
            "enum": values(ApprovalState),
        }
    )
    requested_by = fields.String(allow_none=True)
    approved_by = fields.String(allow_none=True)


class PrincipalCreateSchema(ma.Schema):
    username = username_field(required=True)
    display_name = text_field(200, required=True)
    kind = choice_field(values(PrincipalKind), load_default=PrincipalKind.USER.value)


class PrincipalSchema(ma.Schema):
    username = fields.String()
    display_name = fields.String()
    kind = fields.String()
    active = fields.Boolean()
    memberships = fields.List(fields.Nested(MembershipOutSchema))
    roles = fields.Function(
        lambda p: sorted(p.global_roles), metadata={"description": "Global roles in force"}
    )
    pending_roles = fields.Function(
        lambda p: sorted(r.role for r in p.roles if r.state == ApprovalState.PENDING),
        metadata={"description": "Global roles granted but waiting for approval"},
    )
    password_temporary = fields.Boolean(
        metadata={"description": "An admin set the password; the user must change it"}
    )
    created_at = UtcDateTime()


class TokenCreateSchema(ma.Schema):
    expires_at = UtcDateTime(
        load_default=None,
        metadata={
            "description": "Default EAKTE_TOKEN_TTL_DAYS; at most EAKTE_TOKEN_MAX_DAYS ahead,"
            " except for a service account's token minted by an admin"
        },
    )
    never_expires = fields.Boolean(
        load_default=False,
        metadata={"description": "Only for a service account's token minted by an admin"},
    )


class TokenCreatedSchema(ma.Schema):
    id = fields.UUID()
    token = fields.String()
    expires_at = UtcDateTime(allow_none=True)


class TokenInfoSchema(ma.Schema):
    id = fields.UUID()
    issued_by = fields.String(allow_none=True)
    created_at = UtcDateTime()
    expires_at = UtcDateTime(allow_none=True)
    revoked_at = UtcDateTime(allow_none=True)
    last_used_at = UtcDateTime(allow_none=True)


class PasswordSchema(ma.Schema):
    # Length and content are checked by the password policy (a 422 that says why).
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))
    current_password = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=1024),
        metadata={"description": "Required when users change their own password"},
    )
