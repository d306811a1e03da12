"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and proof verification (pure).

Tree nodes are addressed as (level, index): the perfect subtree of 2**level
leaves starting at leaf index * 2**level. Only such perfect subtrees are
stored; every other subtree hash (the ragged right edge) is folded from them,
so a proof reads O(log² n) stored hashes and never rehashes the log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

Node = Callable[[int, int], bytes]  # (level, index) -> hash of that perfect subtree

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def subtree_hash(node: Node, start: int, end: int) -> bytes:
    """MTH(D[start:end]) for the ranges RFC 6962's recursion produces."""
    size = end - start
    if size == 0:
        return EMPTY_ROOT
    if size & (size - 1) == 0 and start % size == 0:
        return node(size.bit_length() - 1, start // size)
    k = _split(size)
    return node_hash(subtree_hash(node, start, start + k), subtree_hash(node, start + k, end))


def root_hash(node: Node, size: int) -> bytes:
    return subtree_hash(node, 0, size)


def inclusion_path(node: Node, index: int, size: int) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962 §2.1.1, leaf-side first."""
    if not 0 <= index < size:
        raise ValueError("leaf index outside the tree")
    return _path(node, index, 0, size)


def _path(node: Node, m: int, start: int, end: int) -> list[bytes]:
    if end - start == 1:
        return []
    k = _split(end - start)
    if m < k:
        return [*_path(node, m, start, start + k), subtree_hash(node, start + k, end)]
    return [*_path(node, m - k, start + k, end), subtree_hash(node, start, start + k)]


def consistency_proof(node: Node, first: int, second: int) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 6962 §2.1.2."""
    if not 0 < first <= second:
        raise ValueError("need 0 < first <= second")
    if first == second:
        return []
    return _subproof(node, first, 0, second, True)


def _subproof(node: Node, m: int, start: int, end: int, complete: bool) -> list[bytes]:
    n = end - start
    if m == n:
        return [] if complete else [subtree_hash(node, start, end)]
    k = _split(n)
    if m <= k:
        return [*_subproof(node, m, start, start + k, complete), subtree_hash(node, start + k, end)]
    return [*_subproof(node, m - k, start + k, end, False), subtree_hash(node, start, start + k)]


def verify_inclusion(leaf: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: list[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2."""
    if first == second:
        return not proof and first_root == second_root
    if first == 0 or first > second or not proof:
        return False
    if first & (first - 1) == 0:
        proof = [first_root, *proof]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root


class CompactRange:
    """Roots of the perfect subtrees covering the leaves seen so far (a Merkle frontier).

    Appending is O(1) amortised and memory is O(log n): how verification
    recomputes the tree of a million events without storing it.
    """

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[tuple[int, bytes]] = []  # (level, hash), largest first

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf; return the (level, index, hash) of every perfect subtree it completed."""
        completed = [(0, self.size, leaf)]
        level, current = 0, leaf
        while self._stack and self._stack[-1][0] == level:
            _, left = self._stack.pop()
            current = node_hash(left, current)
            level += 1
            completed.append((level, (self.size + 1) // (1 << level) - 1, current))
        self._stack.append((level, current))
        self.size += 1
        return completed

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        root = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            root = node_hash(left, root)
        return root

    @classmethod
    def from_nodes(cls, node: Node, size: int) -> CompactRange:
        """Resume at `size` from stored perfect-subtree hashes."""
        compact = cls()
        start = 0
        for level in reversed(range(size.bit_length())):
            if size & (1 << level):
                compact._stack.append((level, node(level, start >> level)))
                start += 1 << level
        compact.size = size
        return compact


def root_of(leaves: Iterable[bytes]) -> bytes:
    compact = CompactRange()
    for leaf in leaves:
        compact.append(leaf)
    return compact.root()
