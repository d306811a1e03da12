"""Aktenzeichen: `<file plan code>-<running number>/<year>`, e.g. `32.10-0042/2026`."""

from __future__ import annotations


def format_reference(plan_code: str, number: int, year: int) -> str:
    if number < 1:
        raise ValueError("running numbers start at 1")
    return f"{plan_code}-{number:04d}/{year}"
