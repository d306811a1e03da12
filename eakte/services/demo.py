"""German sample data for trying eakte out (`eakte demo`)."""

from __future__ import annotations

import io
from dataclasses import dataclass

from sqlalchemy import func, select

from eakte.errors import ConflictError
from eakte.models import Principal
from eakte.models.vocabulary import DepartmentRole, Disposition, GlobalRole, PrincipalKind
from eakte.services import (
    audit,
    case_files,
    departments,
    documents,
    file_plan,
    passwords,
    principals,
    tokens,
)
from eakte.services.context import Context
from eakte.services.setup import ADMIN_USERNAME

DEPARTMENTS = [
    ("10", "Hauptamt", None),
    ("32", "Ordnungsamt", None),
    ("32.1", "Gewerbe und Gaststätten", "32"),
    ("50", "Sozialamt", None),
    ("63", "Bauordnungsamt", None),
]

# code, title, parent, retention years, disposition
FILE_PLAN = [
    ("10", "Organisation und Personal", None, 10, Disposition.ARCHIVE),
    ("10.20", "Personalangelegenheiten", "10", 10, Disposition.DESTROY),
    ("32", "Sicherheit und Ordnung", None, 10, Disposition.ARCHIVE),
    ("32.10", "Gewerbeangelegenheiten", "32", 10, Disposition.ARCHIVE),
    ("32.20", "Ordnungswidrigkeiten", "32", 5, Disposition.DESTROY),
    ("50", "Soziale Leistungen", None, 10, Disposition.DESTROY),
    ("50.10", "Hilfe zum Lebensunterhalt", "50", 10, Disposition.DESTROY),
    ("50.30", "Wohngeld", "50", 6, Disposition.DESTROY),
    ("63", "Bauordnung", None, 30, Disposition.ARCHIVE),
    ("63.10", "Baugenehmigungen", "63", 30, Disposition.ARCHIVE),
    ("63.20", "Bauvoranfragen", "63", 10, Disposition.DESTROY),
]

# username, display name, (department, role) memberships, global roles
PEOPLE = [
    ("m.becker", "Martina Becker", [("10", DepartmentRole.LEAD)], [GlobalRole.ADMIN]),
    ("k.weber", "Klaus Weber", [("32", DepartmentRole.LEAD)], []),
    ("a.schmidt", "Anna Schmidt", [("32.1", DepartmentRole.CLERK)], []),
    ("j.hoffmann", "Jonas Hoffmann", [("32", DepartmentRole.READER)], []),
    ("s.koch", "Sabine Koch", [("50", DepartmentRole.LEAD)], []),
    ("b.yilmaz", "Berkay Yılmaz", [("50", DepartmentRole.CLERK)], []),
    ("t.wagner", "Thomas Wagner", [("63", DepartmentRole.LEAD)], []),
    ("l.fischer", "Lena Fischer", [("63", DepartmentRole.CLERK)], []),
    ("registratur", "Registratur (Petra Lange)", [], [GlobalRole.RECORDS_MANAGER]),
    ("revision", "Rechnungsprüfung (Uwe Krämer)", [], [GlobalRole.AUDITOR]),
]

# filed by, department, file plan node, title, confidential
CASE_FILES = [
    ("a.schmidt", "32.1", "32.10", "Gewerbeanmeldung Bäckerei Sommer, Hauptstraße 12", False),
    ("a.schmidt", "32.1", "32.10", "Gaststättenerlaubnis Café am Markt", False),
    ("k.weber", "32", "32.20", "Bußgeldverfahren Lärmbelästigung Lindenweg 3", False),
    ("b.yilmaz", "50", "50.30", "Wohngeldantrag Familie Özdemir", True),
    ("b.yilmaz", "50", "50.10", "Hilfe zum Lebensunterhalt, Herr K.", True),
    ("l.fischer", "63", "63.10", "Bauantrag Einfamilienhaus Am Lindenhof 4", False),
    ("l.fischer", "63", "63.20", "Bauvoranfrage Aufstockung Kirchgasse 7", False),
]

# case file (index into CASE_FILES), file name, title, text: letters as clerks write them,
# so that a new user finds something at once (`Gewerbeanmeldungen`, `Lärm`, `Bauantrag`).
DOCUMENTS = [
    (
        0,
        "gewerbeanmeldung.txt",
        "Gewerbeanmeldung (GewA 1)",
        "Gewerbeanmeldung nach § 14 GewO\n"
        "Betrieb: Bäckerei Sommer, Hauptstraße 12\n"
        "Tätigkeit: Herstellung und Verkauf von Backwaren, Café-Betrieb mit 12 Sitzplätzen.\n"
        "Die Anmeldung ist vollständig; Durchschriften gehen an Finanzamt und IHK.",
    ),
    (
        1,
        "erlaubnis.txt",
        "Gaststättenerlaubnis, Bescheid",
        "Bescheid über die Erteilung einer Gaststättenerlaubnis\n"
        "Dem Antrag vom 3. März wird entsprochen. Die Erlaubnis gilt für die Räume "
        "im Erdgeschoss. Auflagen: Sperrzeit ab 23 Uhr, Lärmschutz zur Straßenseite.",
    ),
    (
        2,
        "anhoerung.txt",
        "Anhörung im Bußgeldverfahren",
        "Anhörung zu einer Ordnungswidrigkeit\n"
        "Ihnen wird vorgeworfen, am 14. Juni nach 22 Uhr durch laute Musik die Nachtruhe "
        "im Lindenweg gestört zu haben (Lärmbelästigung). Sie können sich binnen zwei "
        "Wochen äußern.",
    ),
    (
        5,
        "bauantrag.txt",
        "Bauantrag mit Baubeschreibung",
        "Bauantrag für ein Einfamilienhaus mit Garage\n"
        "Grundstück: Am Lindenhof 4, Flur 3, Flurstück 117\n"
        "Beigefügt: Lageplan, Bauzeichnungen, Standsicherheitsnachweis. "
        "Die Stellungnahmen der Fachbehörden werden eingeholt.",
    ),
]


# Every demo user signs in to the web client with this password (demo data only).
DEMO_PASSWORD = "Musterstadt-2026"  # noqa: S105 - printed by `eakte demo`, demo data only


@dataclass(frozen=True)
class DemoLogin:
    username: str
    display_name: str
    token: str


def load_demo_data(system: Context) -> list[DemoLogin]:
    """Create the sample municipality, only on a fresh instance.

    Every demo user has the public DEMO_PASSWORD, and m.becker is an admin: on an
    instance in use that would be a way in. Case files are created as their
    clerks, so that the audit trail and `created_by` look like real work.
    """
    _require_fresh_instance(system)
    for code, name, parent in DEPARTMENTS:
        departments.create_department(system, code=code, name=name, parent=parent)
    for code, title, parent, years, disposition in FILE_PLAN:
        file_plan.create_node(
            system,
            code=code,
            title=title,
            parent=parent,
            retention_years=years,
            disposition=disposition,
        )
    logins = []
    for username, display_name, memberships, roles in PEOPLE:
        principals.create_principal(
            system, username=username, display_name=display_name, kind=PrincipalKind.USER
        )
        for department, role in memberships:
            principals.add_membership(system, username, department=department, role=role)
        for global_role in roles:
            principals.grant_role(system, username, global_role)
        token, _ = tokens.create_token(system, username)
        passwords.set_password(system, username, DEMO_PASSWORD)
        logins.append(DemoLogin(username, display_name, token))
    created = []
    for username, department, node, title, confidential in CASE_FILES:
        clerk = _as(system, username)
        created.append(
            case_files.create_case_file(
                clerk, file_plan=node, department=department, title=title, confidential=confidential
            ).id
        )
    for case_file, filename, title, text in DOCUMENTS:
        documents.add_document(
            _as(system, CASE_FILES[case_file][0]),
            created[case_file],
            documents.Upload(filename, io.BytesIO(text.encode())),
            title=title,
        )
    return logins


def _require_fresh_instance(system: Context) -> None:
    """Refuse (audited, nothing changed) where anyone but the first admin exists."""
    others = system.session.scalar(
        select(func.count()).select_from(Principal).where(Principal.username != ADMIN_USERNAME)
    )
    if others or departments.find_department(system, "10") is not None:
        found = f"{others} principal(s) besides {ADMIN_USERNAME!r}" if others else "department 10"
        raise audit.deny(
            system,
            "demo.load",
            ConflictError(
                f"eakte demo runs only on a fresh instance, and this one has {found}; "
                "nothing was changed (the demo password is public)"
            ),
        )


def _as(system: Context, username: str) -> Context:
    return Context(
        ports=system.ports,
        session=system.session,
        actor=principals.find_principal(system, username),
        request_id=system.request_id,
    )
