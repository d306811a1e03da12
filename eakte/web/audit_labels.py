"""The Protokoll's words: a German label for every action code, object type and outcome.

The trail stores stable English codes (the REST API and the exports keep them);
the page shows and filters by these labels. tests/unit/test_audit_labels.py
fails when a use case records an action that has no label here.
"""

from __future__ import annotations

from eakte.models.vocabulary import Outcome

# Grouped by area, in the order the Aktion filter offers them.
ACTION_LABELS: dict[str, str] = {
    # Akten, Vorgänge, Dokumente
    "case_file.create": "Akte angelegt",
    "case_file.read": "Akte gelesen",
    "case_file.list": "Aktenliste abgerufen",
    "case_file.update": "Akte geändert",
    "case_file.close": "Akte abgeschlossen",
    "case_file.reopen": "Akte wieder geöffnet",
    "case_file.export": "Akte exportiert (xdomea)",
    "case_file.dispose": "Akte ausgesondert",
    "process.create": "Vorgang angelegt",
    "process.list": "Vorgänge abgerufen",
    "document.create": "Dokument hinzugefügt",
    "document.read": "Dokument angesehen",
    "document.list": "Dokumentliste abgerufen",
    "document.versions": "Versionen abgerufen",
    "document.add_version": "Neue Version hochgeladen",
    "document.download": "Dokument heruntergeladen",
    "integrity_failure": "Dokument beschädigt (Prüfsumme stimmt nicht)",
    "search": "Gesucht",
    "grant.create": "Freigabe erteilt",
    "grant.delete": "Freigabe entzogen",
    "grant.list": "Freigaben abgerufen",
    # Anmeldung und Zugang
    "auth.sign_in": "Anmeldung",
    "auth.sign_out": "Abmeldung",
    "auth.token": "Zugangsschlüssel verwendet",
    "api.request": "Schnittstellenaufruf",
    "web.csrf": "Formular ohne gültiges Sicherheitsmerkmal",
    "idempotency.replay": "Wiederholte Anfrage beantwortet",
    "token.create": "Zugangsschlüssel erstellt",
    "token.list": "Zugangsschlüssel abgerufen",
    "token.revoke": "Zugangsschlüssel widerrufen",
    # Personen, Ämter, Rollen
    "principal.create": "Person angelegt",
    "principal.read": "Person angesehen",
    "principal.list": "Personenliste abgerufen",
    "principal.search": "Personen gesucht (Auswahlliste)",
    "principal.deactivate": "Person deaktiviert",
    "principal.reactivate": "Person reaktiviert",
    "principal.password_set": "Passwort gesetzt",
    "principal.password_change": "Eigenes Passwort geändert",
    "membership.add": "Mitgliedschaft eingetragen",
    "membership.approve": "Mitgliedschaft bestätigt",
    "membership.remove": "Mitgliedschaft beendet",
    "membership.list_pending": "Offene Mitgliedschaften abgerufen",
    "role.grant": "Rolle vergeben",
    "role.approve": "Rolle bestätigt",
    "role.revoke": "Rolle entzogen",
    "department.create": "Amt angelegt",
    "department.read": "Amt angesehen",
    "department.list": "Ämterliste abgerufen",
    # Aktenplan, Aufbewahrung, Aussonderung
    "file_plan.create": "Aktenplanposition angelegt",
    "file_plan.update": "Aktenplanposition geändert",
    "file_plan.read": "Aktenplanposition angesehen",
    "file_plan.list": "Aktenplan abgerufen",
    "retention.due": "Fällige Akten abgerufen",
    "retention.run": "Aufbewahrungslauf",
    "legal_hold.place": "Aussonderungssperre gesetzt",
    "legal_hold.release": "Aussonderungssperre aufgehoben",
    "legal_hold.list": "Aussonderungssperren abgerufen",
    "disposition.propose": "Aussonderung vorgeschlagen",
    "disposition.approve": "Aussonderung freigegeben",
    "disposition.reject": "Aussonderung abgelehnt",
    "disposition.list": "Aussonderungsvorschläge abgerufen",
    "disposition.read": "Aussonderungsvorschlag angesehen",
    "disposition.export": "Aussonderung an das Archiv übergeben",
    "disposition.export.read": "Aussonderungspaket abgerufen",
    "disposition.confirm_archive": "Übernahme durch das Archiv bestätigt",
    "disposition.certificate": "Aussonderungsnachweis ausgestellt",
    "disposition.certificate.read": "Aussonderungsnachweis abgerufen",
    # Protokoll
    "audit.query": "Protokoll abgefragt",
    "audit.export": "Protokoll exportiert",
    "audit.verify": "Protokoll geprüft",
    "audit.proof": "Nachweis für ein Ereignis abgerufen",
    "audit.consistency": "Konsistenznachweis abgerufen",
    "audit.checkpoint": "Prüfpunkt ausgestellt",
    "audit.checkpoints": "Prüfpunkte abgerufen",
    "audit.public_key": "Öffentlicher Prüfschlüssel abgerufen",
    # Betrieb
    "keys.rotate": "Schlüsselwechsel begonnen",
    "keys.rewrapped": "Schlüssel neu verpackt",
    "keys.retire": "Alter Schlüssel stillgelegt",
    "version.shred": "Dokumentversion unlesbar gemacht",
    "search.reindex": "Suchindex neu aufgebaut",
    "storage.verify": "Speicher geprüft",
    "storage.sweep": "Speicher aufgeräumt",
    "demo.load": "Beispieldaten geladen",
}

OUTCOME_LABELS: dict[str, str] = {
    Outcome.ALLOWED.value: "erlaubt",
    Outcome.DENIED.value: "abgelehnt",
    Outcome.FAILED.value: "fehlgeschlagen",
}

# What an object is, in the words a clerk uses; unknown types are shown as stored.
OBJECT_LABELS: dict[str, str] = {
    "case_file": "Akte",
    "process": "Vorgang",
    "document": "Dokument",
    "document_version": "Dokumentversion",
    "department": "Amt",
    "principal": "Person",
    "api_token": "Zugangsschlüssel",
    "file_plan_node": "Aktenplanposition",
    "audit_event": "Ereignis",
    "legal_hold": "Aussonderungssperre",
    "disposition_proposal": "Aussonderungsvorschlag",
    "grant": "Freigabe",
    "key": "Schlüssel",
    "search": "Suche",
    "web_form": "Formular",
    "endpoint": "Schnittstelle",
}


def action_label(code: str) -> str:
    return ACTION_LABELS.get(code, code)


def action_for(text: str) -> str | None:
    """The code a filter entry means: a code itself, or a label (any case, whole words)."""
    wanted = text.strip()
    if wanted in ACTION_LABELS:
        return wanted
    for code, label in ACTION_LABELS.items():
        if label.casefold() == wanted.casefold():
            return code
    return None
