"""Aufbewahrung (Registratur): fällige Akten, Aussonderungssperren, Aussonderungsvorschläge."""

from __future__ import annotations
