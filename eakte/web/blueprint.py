"""The one blueprint every page module adds its routes to, and the navigation."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g

from eakte.errors import EakteError
from eakte.models import Principal
from eakte.models.vocabulary import DepartmentRole, GlobalRole
from eakte.web import error_pages, formatting, messages, notices, session

blp = Blueprint(
    "web", __name__, template_folder="templates", static_folder="static", static_url_path="/static"
)
blp.before_request(session.begin)
blp.after_request(session.finish)
blp.register_error_handler(EakteError, error_pages.error_page)
formatting.register(blp)

# (endpoint, label, who uses it): shown when the page exists and the user is one of
# them. Pages check access themselves (through the services); this only keeps the menu
# to what the user can use. "reader": a member of a department, or someone without a
# global role (who may hold personal grants); "creator": clerk or lead somewhere.
NAVIGATION = [
    ("web.case_files", "Meine Akten", "reader"),
    ("web.new_case_file", "Akte anlegen", "creator"),
    ("web.search", "Suche", "reader"),
    ("web.retention", "Aufbewahrung", GlobalRole.RECORDS_MANAGER),
    ("web.audit", "Protokoll", GlobalRole.AUDITOR),
    ("web.admin", "Verwaltung", GlobalRole.ADMIN),
    ("web.confirmations", "Bestätigungen", "confirmer"),
]
# Where `/` leads: the first that applies (clerk first: her files, later the Arbeitskorb).
START_PAGES = [
    ("reader", "web.case_files"),
    (GlobalRole.RECORDS_MANAGER, "web.retention"),
    (GlobalRole.AUDITOR, "web.audit"),
    (GlobalRole.ADMIN, "web.admin"),
]
# Leads confirm memberships, records managers approve records_manager grants.
CONFIRMERS = {GlobalRole.RECORDS_MANAGER.value}
CREATORS = {DepartmentRole.CLERK.value, DepartmentRole.LEAD.value}


@blp.app_context_processor
def _page_globals() -> dict[str, Any]:
    return {
        "csrf_token": session.csrf_token,
        "CSRF_FIELD": session.CSRF_FIELD,
        "navigation": _navigation,
        "notice": notices.current,
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
    roles = uses(web_session.principal)
    return [
        (endpoint, label)
        for endpoint, label, role in NAVIGATION
        if endpoint in current_app.view_functions and str(role) in roles
    ]


def start_page(principal: Principal) -> str:
    """The endpoint `/` leads this person to."""
    roles = uses(principal)
    return next((page for role, page in START_PAGES if str(role) in roles), "web.case_files")


def uses(principal: Principal) -> set[str]:
    """The person's global roles plus the words of NAVIGATION that fit them."""
    roles = set(principal.global_roles)
    memberships = principal.active_memberships
    if memberships or not roles:
        roles.add("reader")
    if any(m.role in CREATORS for m in memberships):
        roles.add("creator")
    if roles & CONFIRMERS or any(m.role == DepartmentRole.LEAD for m in memberships):
        roles.add("confirmer")
    return roles
