"""What a clerk reads when something goes wrong: plain German, no codes.

The services explain errors in English for developers; the pages choose the German
text here by the error's status, class or `Reason` (see eakte.errors), never by
reading the English.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app

from eakte.errors import EakteError, Reason
from eakte.services import passwords
from eakte.web.formatting import size_text

# The German page for each HTTP status of a page (eakte.web.error_pages): title, text.
STATUS_MESSAGES = {
    400: (
        "Anfrage nicht verständlich",
        "Das Formular war unvollständig oder abgelaufen. "
        "Bitte laden Sie die Seite neu und versuchen Sie es noch einmal.",
    ),
    401: ("Bitte anmelden", "Sie sind nicht (mehr) angemeldet."),
    403: ("Keine Berechtigung", "Für diese Aktion fehlt Ihnen die nötige Berechtigung."),
    404: (
        "Nicht gefunden",
        "Diese Seite oder Akte gibt es nicht, oder Sie dürfen sie nicht sehen.",
    ),
    405: ("Nicht möglich", "Diese Aktion ist hier nicht vorgesehen."),
    409: (
        "Nicht möglich",
        "Die Aktion passt nicht zum aktuellen Stand, "
        "z. B. weil die Akte bereits abgeschlossen ist.",
    ),
    410: (
        "Nicht mehr vorhanden",
        "Diese Akte wurde ausgesondert (vernichtet oder an das Archiv abgegeben).",
    ),
    413: ("Datei zu groß", "Die Datei ist größer als erlaubt."),
    429: (
        "Zu viele Versuche",
        "Von Ihrem Rechner kamen zu viele fehlgeschlagene Versuche. "
        "Bitte warten Sie einige Minuten und versuchen Sie es dann noch einmal.",
    ),
    500: (
        "Technischer Fehler",
        "Es ist ein Fehler aufgetreten. Bitte versuchen Sie es später noch einmal.",
    ),
    507: (
        "Speicher voll",
        "Der Speicherplatz für Dokumente ist erschöpft; es wurde nichts gespeichert. "
        "Bitte verständigen Sie die IT.",
    ),
    503: (
        "Vorübergehend nicht erreichbar",
        "Ein benötigter Dienst ist gerade nicht erreichbar. "
        "Bitte versuchen Sie es in einigen Minuten noch einmal.",
    ),
}


def _too_far_ahead() -> str:
    return f"Höchstens {current_app.extensions['eakte'].settings.token_max_days} Tage im Voraus."


# The rule an input broke (eakte.errors.Reason), as the form says it next to the field.
REASONS: dict[Reason, str | Callable[[], str]] = {
    Reason.EMPTY_FILE: "Die Datei ist leer. Leere Dateien werden nicht angenommen.",
    Reason.FOREIGN_PROCESS: "Dieser Vorgang gehört nicht zu dieser Akte.",
    Reason.UNKNOWN_FILE_PLAN_CODE: "Diesen Eintrag gibt es im Aktenplan nicht.",
    Reason.UNKNOWN_DEPARTMENT: "Dieses Amt gibt es nicht.",
    Reason.ONE_GRANTEE: "Bitte geben Sie entweder ein Amt oder eine Person an.",
    Reason.CONFIDENTIAL_GRANT: (
        "Eine vertrauliche Akte kann nur einzelnen Personen freigegeben werden."
    ),
    Reason.UNKNOWN_PRINCIPAL: "Diese Person ist nicht bekannt.",
    Reason.NOT_IN_FUTURE: "Das Datum muss in der Zukunft liegen.",
    Reason.TOO_FAR_AHEAD: _too_far_ahead,
    Reason.TOO_SHORT: f"Mindestens {passwords.MIN_LENGTH} Zeichen.",
    Reason.TOO_LONG: f"Höchstens {passwords.MAX_LENGTH} Zeichen.",
    Reason.CONTAINS_USERNAME: "Das Passwort darf den Benutzernamen nicht enthalten.",
    Reason.SERVICE_ACCOUNT_SIGN_IN: (
        "Dienstkonten haben kein Passwort; sie melden sich mit Zugangsschlüsseln an."
    ),
    Reason.QUERY_EMPTY: "Bitte geben Sie einen Suchbegriff ein.",
    Reason.QUERY_TOO_LONG: "Der Suchbegriff ist zu lang. Bitte kürzen Sie ihn.",
    Reason.QUOTE_NOT_CLOSED: 'Bitte schließen Sie das Anführungszeichen (").',
    Reason.OR_MISPLACED: "ODER (OR) muss zwischen zwei Suchwörtern stehen.",
    Reason.NO_WORD: "Bitte geben Sie mindestens ein Suchwort ein (nicht nur Zeichen).",
    Reason.TOO_MANY_WORDS: (
        "Die Suche hat zu viele Wörter. Bitte verwenden Sie weniger Suchwörter."
    ),
    # Separation of duties: who may not do this alone, and who may.
    Reason.OWN_RIGHTS: "Eigene Rechte, das eigene Konto und das eigene Passwort ändert immer "
    "eine andere Person (das eigene Passwort unter „Passwort ändern“).",
    Reason.EXCLUSIVE_ROLES: "Administration und Schriftgutverwaltung hält nie dieselbe Person.",
    Reason.ALREADY_APPROVED: (
        "Sie haben diesen Vorschlag bereits freigegeben; eine zweite Person muss freigeben."
    ),
    Reason.DECIDING_APPROVAL: (
        "Mit dieser Freigabe wird der Vorschlag ausgeführt. Bitte bestätigen Sie das zuerst."
    ),
    Reason.EMPTY_STAGE: "Jede Stufe braucht mindestens einen Schritt.",
    Reason.FINAL_SIGN_NOT_LAST: "Die Schlusszeichnung gehört in die letzte Stufe.",
    Reason.FINAL_SIGN_NOT_LEAD: (
        "Schlusszeichnen darf nur die Amtsleitung des Amtes, dem die Akte gehört."
    ),
    Reason.NOBODY_IN_ROLE: "In diesem Amt hat niemand diese Rolle.",
    Reason.ONE_ASSIGNEE: "Bitte geben Sie entweder eine Person oder ein Amt mit Rolle an.",
    Reason.NOT_IN_PAST: "Das Datum darf nicht in der Vergangenheit liegen.",
    Reason.WRONG_DECISION: "Diese Entscheidung passt nicht zu dieser Aufgabe.",
    Reason.REASON_REQUIRED: "Bitte begründen Sie die Ablehnung.",
    Reason.OTHER_DEPARTMENT: "Die Person muss demselben Amt angehören.",
    Reason.NOT_DEPUTY: "Sie vertreten diese Person heute nicht.",
    Reason.ISSUED_FOR_USER: "Zugangsschlüssel für Benutzerkonten stellt nur die Person selbst "
    "aus; die Verwaltung stellt sie für Dienstkonten aus.",
}
CHECK_FIELD = "Bitte prüfen Sie diese Angabe."
UNCLEAR = "Die Eingabe ist nicht gültig. Bitte prüfen Sie die Angaben."
DATE_HINT = "Bitte geben Sie ein Datum ein (TT.MM.JJJJ), z. B. 31.12.2026."
QUERY_UNCLEAR = (
    "Die Suche konnte so nicht ausgeführt werden. Bitte schließen Sie Anführungszeichen "
    "und geben Sie mindestens ein Suchwort ein."
)


def explain(error: EakteError, default: str = CHECK_FIELD) -> str:
    """The German text of the rules `error` names; `default` when it names none we know."""
    texts = [_text(REASONS[reason]) for reason in error.reasons if reason in REASONS]
    return " ".join(texts) or default


def explain_reason(reason: Reason) -> str:
    """The German text of one rule, for a form that checks it before the service does."""
    return _text(REASONS[reason])


def _text(message: str | Callable[[], str]) -> str:
    return message if isinstance(message, str) else message()


def status_message(status: int) -> tuple[str, str]:
    """Title and text of the German page for this status."""
    title, text = STATUS_MESSAGES.get(status, STATUS_MESSAGES[500 if status >= 500 else 400])
    if status == 413:
        text = f"{text.removesuffix('.')} (höchstens {upload_limit_text()})."
    return title, text


def upload_limit_text() -> str:
    """EAKTE_MAX_UPLOAD_BYTES as people read it: 2 GB, 1,5 MB (binary units, as in the lists)."""
    limit = current_app.extensions["eakte"].settings.max_upload_bytes
    return size_text(limit).replace(",0 ", " ")
