"""Verwaltung (Administration): Ämter, Personen, Mitgliedschaften, Rollen, Zugangsschlüssel."""

from __future__ import annotations
