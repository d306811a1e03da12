"""Dokumente: Versionen, Vorschau, Download."""

from __future__ import annotations
