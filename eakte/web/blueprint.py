"""The one blueprint every page module adds its routes to, and the navigation."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g

from eakte.errors import EakteError
from eakte.models.vocabulary import DepartmentRole, GlobalRole
from eakte.web import error_pages, formatting, messages, session

blp = Blueprint(
    "web", __name__, template_folder="templates", static_folder="static", static_url_path="/static"
)
blp.before_request(session.begin)
blp.after_request(session.finish)
blp.register_error_handler(EakteError, error_pages.error_page)
formatting.register(blp)

# (endpoint, label, global role needed or None): shown when the page exists and the
# user has the role. Pages check access themselves (through the services); this only
# keeps the menu short.
NAVIGATION = [
    ("web.case_files", "Meine Akten", None),
    ("web.new_case_file", "Akte anlegen", None),
    ("web.search", "Suche", None),
    ("web.retention", "Aufbewahrung", GlobalRole.RECORDS_MANAGER),
    ("web.audit", "Protokoll", GlobalRole.AUDITOR),
    ("web.admin", "Verwaltung", GlobalRole.ADMIN),
    ("web.confirmations", "Bestätigungen", "confirmer"),
]
# Leads confirm memberships, records managers approve records_manager grants.
CONFIRMERS = {GlobalRole.RECORDS_MANAGER.value}


@blp.app_context_processor
def _page_globals() -> dict[str, Any]:
    return {
        "csrf_token": session.csrf_token,
        "CSRF_FIELD": session.CSRF_FIELD,
        "navigation": _navigation,
        "upload_limit": _upload_limit,
    }


def _upload_limit() -> dict[str, object]:
    """For the upload forms: the script refuses a larger file before sending it."""
    return {
        "bytes": current_app.extensions["eakte"].settings.max_upload_bytes,
        "text": messages.upload_limit_text(),
        "message": messages.status_message(413)[1],
    }


def _navigation() -> list[tuple[str, str]]:
    web_session = g.get("web_session")
    if web_session is None:
        return []
    principal = web_session.principal
    roles = set(principal.global_roles)
    if roles & CONFIRMERS or any(
        m.role == DepartmentRole.LEAD for m in principal.active_memberships
    ):
        roles.add("confirmer")
    return [
        (endpoint, label)
        for endpoint, label, role in NAVIGATION
        if endpoint in current_app.view_functions and (role is None or str(role) in roles)
    ]
