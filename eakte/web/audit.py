"""Protokoll (Revision): Ereignisse, Prüfung der Protokollkette, Export."""

from __future__ import annotations
