"""Merkle proofs against a from-scratch RFC 6962 implementation written here."""

from __future__ import annotations

import hashlib
import random

import pytest

from eakte.evidence import merkle


def mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1 MTH, the textbook recursion over raw leaf data."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def stored(leaves: list[bytes]):
    nodes = {}
    compact = merkle.CompactRange()
    for data in leaves:
        for level, index, value in compact.append(merkle.leaf_hash(data)):
            nodes[(level, index)] = value
    return (lambda level, index: nodes[(level, index)]), compact


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 7, 8, 9, 31, 64, 100])
def test_roots_agree_with_the_textbook_recursion(n):
    leaves = [f"event {i}".encode() for i in range(n)]
    node, compact = stored(leaves)
    assert merkle.root_hash(node, n) == mth(leaves)
    assert compact.root() == mth(leaves)
    assert merkle.CompactRange.from_nodes(node, n).root() == mth(leaves)
    for size in range(n + 1):
        assert merkle.root_hash(node, size) == mth(leaves[:size])


def test_every_inclusion_proof_verifies_and_a_wrong_one_does_not():
    leaves = [f"event {i}".encode() for i in range(37)]
    node, _ = stored(leaves)
    for size in range(1, 38):
        root = mth(leaves[:size])
        for index in range(size):
            path = merkle.inclusion_path(node, index, size)
            leaf = merkle.leaf_hash(leaves[index])
            assert merkle.verify_inclusion(leaf, index, size, path, root)
            assert not merkle.verify_inclusion(merkle.leaf_hash(b"forged"), index, size, path, root)
            if size > 1:
                assert not merkle.verify_inclusion(leaf, (index + 1) % size, size, path, root)


def test_every_consistency_proof_verifies_and_a_forked_one_does_not():
    leaves = [f"event {i}".encode() for i in range(33)]
    node, _ = stored(leaves)
    forked = leaves[:]
    forked[3] = b"rewritten"
    for second in range(1, 34):
        for first in range(1, second + 1):
            proof = merkle.consistency_proof(node, first, second)
            assert merkle.verify_consistency(
                first, second, mth(leaves[:first]), mth(leaves[:second]), proof
            )
            if first > 3:
                assert not merkle.verify_consistency(
                    first, second, mth(forked[:first]), mth(leaves[:second]), proof
                )


def test_random_large_tree():
    rng = random.Random(7)
    leaves = [rng.randbytes(20) for _ in range(1000)]
    node, _ = stored(leaves)
    root = mth(leaves)
    for index in rng.sample(range(1000), 20):
        path = merkle.inclusion_path(node, index, 1000)
        assert merkle.verify_inclusion(merkle.leaf_hash(leaves[index]), index, 1000, path, root)
