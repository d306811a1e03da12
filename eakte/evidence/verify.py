"""Verifying a sealed log: recompute leaves, chain and Merkle roots, check signed checkpoints.

Pure: it reads events and checkpoints from iterables, so the same code checks
the live database (`eakte audit verify`, `GET /api/v1/audit/verify`) and an
export on an auditor's laptop with only the public key
(`eakte audit verify --export … --checkpoints … --public-key …`).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from eakte.evidence import merkle
from eakte.evidence.canonical import ZERO_HASH, canonical_json, chain_hash
from eakte.evidence.signing import verify_signature


@dataclass(frozen=True)
class SealedEvent:
    seq: int
    canonical: bytes  # the bytes the leaf hash is taken over
    leaf_hash: bytes | None = None  # as stored or exported, if any
    chain_hash: bytes | None = None


@dataclass(frozen=True)
class SignedCheckpoint:
    tree_size: int
    root_hash: str
    chain_hash: str
    body: str
    signature: str  # base64 DER


@dataclass(frozen=True)
class Uncovered:
    """The newest events, after the last signed checkpoint: only chained, not yet signed.

    Whoever can write the database could still rewrite them unnoticed (with their
    hashes recomputed), so a verification says how far its guarantee falls short.
    """

    events: int
    first_seq: int
    last_seq: int
    first_occurred_at: str | None
    last_occurred_at: str | None

    @property
    def seconds(self) -> float | None:
        try:
            first = dt.datetime.fromisoformat(self.first_occurred_at or "")
            last = dt.datetime.fromisoformat(self.last_occurred_at or "")
        except ValueError:
            return None
        return round((last - first).total_seconds(), 3)

    def as_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "first_occurred_at": self.first_occurred_at,
            "last_occurred_at": self.last_occurred_at,
            "seconds": self.seconds,
        }

    def describe(self) -> str:
        span = f"{self.first_occurred_at} to {self.last_occurred_at}, {self.seconds} s"
        return (
            f"events {self.first_seq}..{self.last_seq} ({self.events}, {span}) are not yet "
            "covered by a signed checkpoint: only their hash chain was checked"
        )


@dataclass
class Verification:
    ok: bool = True
    events: int = 0
    checkpoints: int = 0
    first_bad_seq: int | None = None
    problem: str | None = None
    notes: list[str] = field(default_factory=list)
    uncovered: Uncovered | None = None

    def fail(self, seq: int | None, problem: str) -> Verification:
        self.ok, self.first_bad_seq, self.problem = False, seq, problem
        return self

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events_checked": self.events,
            "checkpoints_checked": self.checkpoints,
            "first_bad_seq": self.first_bad_seq,
            "problem": self.problem,
            "notes": self.notes,
            "uncovered": None if self.uncovered is None else self.uncovered.as_dict(),
        }


def check_checkpoint(checkpoint: SignedCheckpoint, public_pem: str) -> str | None:
    """Why a checkpoint cannot be trusted, or None."""
    try:
        signature = base64.b64decode(checkpoint.signature, validate=True)
    except ValueError:
        return "signature is not base64"
    if not verify_signature(public_pem, checkpoint.body.encode(), signature):
        return "signature does not verify with the public key"
    try:
        signed = json.loads(checkpoint.body)
    except ValueError:
        return "signed body is not JSON"
    if (signed.get("tree_size"), signed.get("root_hash"), signed.get("chain_hash")) != (
        checkpoint.tree_size,
        checkpoint.root_hash,
        checkpoint.chain_hash,
    ):
        return "stored fields differ from the signed body"
    return None


def verify_log(
    events: Iterable[SealedEvent], checkpoints: Iterable[SignedCheckpoint], public_pem: str
) -> Verification:
    """Check everything; stop at the first problem and say which seq it concerns."""
    result = Verification()
    pending = sorted(checkpoints, key=lambda c: c.tree_size)
    for checkpoint in pending:
        problem = check_checkpoint(checkpoint, public_pem)
        if problem:
            return result.fail(None, f"checkpoint at tree size {checkpoint.tree_size}: {problem}")
    if not pending:
        result.notes.append("no signed checkpoint yet: only internal consistency was checked")
    compact = merkle.CompactRange()
    previous_chain = ZERO_HASH
    verified_size = 0
    queue = iter(pending)
    next_checkpoint = next(queue, None)
    while next_checkpoint is not None and next_checkpoint.tree_size == 0:
        if next_checkpoint.root_hash != merkle.EMPTY_ROOT.hex():
            return result.fail(None, "checkpoint at tree size 0 does not name the empty root")
        result.checkpoints += 1
        next_checkpoint = next(queue, None)
    first_uncovered = last = None
    for event in events:
        expected = compact.size
        if event.seq != expected:
            kind = "missing" if event.seq > expected else "out of order or duplicated"
            return result.fail(expected, f"event {expected} is {kind} (found seq {event.seq})")
        leaf = merkle.leaf_hash(event.canonical)
        if event.leaf_hash is not None and event.leaf_hash != leaf:
            return result.fail(event.seq, "event fields differ from their sealed leaf hash")
        chained = chain_hash(previous_chain, leaf)
        if event.chain_hash is not None and event.chain_hash != chained:
            return result.fail(event.seq, "hash chain broken")
        previous_chain = chained
        compact.append(leaf)
        result.events += 1
        if event.seq == verified_size:
            first_uncovered = event  # the first event after the last matched checkpoint
        last = event
        if next_checkpoint is not None and compact.size == next_checkpoint.tree_size:
            if compact.root().hex() != next_checkpoint.root_hash or (
                chained.hex() != next_checkpoint.chain_hash
            ):
                return result.fail(
                    verified_size,
                    f"events {verified_size}..{compact.size - 1} do not match the signed "
                    f"checkpoint at tree size {compact.size}",
                )
            verified_size = compact.size
            result.checkpoints += 1
            next_checkpoint = next(queue, None)
    if next_checkpoint is not None:
        return result.fail(
            compact.size,
            f"the log ends at {compact.size} events but a signed checkpoint covers "
            f"{next_checkpoint.tree_size}: events were removed",
        )
    if first_uncovered is not None and last is not None and compact.size > verified_size:
        result.uncovered = Uncovered(
            events=compact.size - verified_size,
            first_seq=verified_size,
            last_seq=compact.size - 1,
            first_occurred_at=_occurred_at(first_uncovered),
            last_occurred_at=_occurred_at(last),
        )
        result.notes.append(result.uncovered.describe())
    return result


def _occurred_at(event: SealedEvent) -> str | None:
    """The event's time from its sealed bytes (read for two events only, not per event)."""
    try:
        value = json.loads(event.canonical).get("occurred_at")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def export_line_event(line: dict[str, Any]) -> SealedEvent:
    """One JSONL export line → the event to verify; its fields must match its canonical bytes."""
    canonical = base64.b64decode(line["canonical"])
    fields = {k: v for k, v in line.items() if k not in ("canonical", "leaf_hash", "chain_hash")}
    document = json.loads(canonical)
    if canonical_json(document) != canonical or any(
        fields.get(k) != v for k, v in document.items()
    ):
        # Make the leaf check fail: the readable fields are not what was sealed.
        return SealedEvent(line.get("seq", -1), canonical + b"!", bytes.fromhex(line["leaf_hash"]))
    return SealedEvent(
        document["seq"],
        canonical,
        bytes.fromhex(line["leaf_hash"]),
        bytes.fromhex(line["chain_hash"]) if line.get("chain_hash") else None,
    )
