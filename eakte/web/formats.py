"""Numbers as the German pages show them."""

from __future__ import annotations


def size_text(size: int | None) -> str:
    """Human-readable size in German number format: 1,5 MB (binary units)."""
    if size is None:
        return "–"
    if size < 1024:
        return f"{size} Byte"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            break
    return f"{value:.1f} {unit}".replace(".", ",")
