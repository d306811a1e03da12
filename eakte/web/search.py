"""Suche: ein Suchfeld, Treffer mit Aktenzeichen, Titel und markierten Stellen."""

from __future__ import annotations
