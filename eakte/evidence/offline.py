"""Offline verification from files: no database, no server, only the public key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from eakte.evidence.verify import (
    SealedEvent,
    SignedCheckpoint,
    Verification,
    export_line_event,
    verify_log,
)


def _events(path: Path) -> Iterator[SealedEvent]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield export_line_event(json.loads(line))


def _checkpoints(path: Path) -> list[SignedCheckpoint]:
    data = json.loads(path.read_text(encoding="utf-8"))
    items = data["items"] if isinstance(data, dict) else data
    return [
        SignedCheckpoint(
            tree_size=item["tree_size"],
            root_hash=item["root_hash"],
            chain_hash=item["chain_hash"],
            body=item["body"],
            signature=item["signature"],
        )
        for item in items
    ]


def verify_files(export_file: str, checkpoints_file: str, public_key_file: str) -> Verification:
    return verify_log(
        _events(Path(export_file)),
        _checkpoints(Path(checkpoints_file)),
        Path(public_key_file).read_text(encoding="utf-8"),
    )
