"""The Merkle tree of RFC 9162 (RFC 6962's hashing) over the log: leaves, nodes, roots.

    leaf hash = SHA-256(0x00 || leaf data)
    node hash = SHA-256(0x01 || left || right)
    MTH({})   = SHA-256()
    MTH(D[n]) = node(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two below n

A tree is kept as its complete subtrees: node (level, index) covers the leaves
index * 2**level up to (index + 1) * 2**level. Appending a leaf completes at most one node
per level, so a store keeps about two hashes a leaf and answers any root or proof from
O(log n) of them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from uuid import UUID

from mediation_domain.audit.records import StoredRecord

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeSource = Callable[[int, int], bytes]  # (level, index) -> the hash of a complete subtree


LEAF_TAG = b"mediation-domain leaf v2\x00"


def leaf_data(record: StoredRecord) -> bytes:
    """The bytes a record's leaf hashes (docs/audit-format.md gives them byte by byte).

    In this order: LEAF_TAG (`mediation-domain leaf v2` and a zero byte); the
    notification id in 8 bytes; the aggregate's UUID as its 16 bytes; the version in 8
    bytes; the topic's length in UTF-8 bytes, in 2 bytes, then the topic in UTF-8; and
    SHA-256 of the state. Numbers are unsigned and big-endian (ValueError beyond what
    their bytes hold): fixed widths and a length, so no two records give one leaf.
    """
    originator = record.originator_id
    uuid = originator if isinstance(originator, UUID) else UUID(originator)
    topic = record.topic.encode()
    if not (0 <= record.id < 1 << 64 and 0 <= record.originator_version < 1 << 64):
        message = f"record {record.id} v{record.originator_version}: not a leaf's numbers"
        raise ValueError(message)
    if len(topic) > 0xFFFF:  # noqa: PLR2004 - what two bytes count
        message = f"record {record.id}: a topic of {len(topic)} bytes is too long for a leaf"
        raise ValueError(message)
    return b"".join(
        [
            LEAF_TAG,
            record.id.to_bytes(8, "big"),
            uuid.bytes,
            record.originator_version.to_bytes(8, "big"),
            len(topic).to_bytes(2, "big"),
            topic,
            hashlib.sha256(record.state).digest(),
        ]
    )


def leaf_hash(data: bytes) -> bytes:
    """The hash of a leaf with `data`."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an inner node over `left` and `right`."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(size: int) -> int:
    """The size of the left subtree of a tree of `size` leaves (> 1): a power of two."""
    return 1 << ((size - 1).bit_length() - 1)


def subtree_hash(start: int, end: int, node: NodeSource) -> bytes:
    """MTH of the leaves start..end-1, from the complete subtrees `node` gives.

    The ranges a tree's proofs ask for always split into complete subtrees: aligned,
    power-of-two ranges, then a shorter right part.
    """
    size = end - start
    if size == 0:
        return EMPTY_ROOT
    if size & (size - 1) == 0 and start % size == 0:
        level = size.bit_length() - 1
        return node(level, start >> level)
    k = split(size)
    return node_hash(subtree_hash(start, start + k, node), subtree_hash(start + k, end, node))


class Frontier:
    """A tree grown leaf by leaf, holding only its right edge (one node a level at most).

    `append` returns the nodes each leaf completes, (level, index, hash), for a store to
    keep; `root()` is MTH of the leaves so far. Memory is O(log n).
    """

    def __init__(self, size: int = 0, edge: Iterable[bytes] = ()) -> None:
        """A tree of `size` leaves whose complete subtrees on the right edge are `edge`.

        `edge` lists them from the largest (leftmost) to the smallest, one per bit of
        `size` (see `edge_of`).
        """
        self.size = size
        self._edge = list(edge)
        if len(self._edge) != size.bit_count():
            message = (
                f"a tree of {size} leaves has {size.bit_count()} edge nodes, not {len(self._edge)}"
            )
            raise ValueError(message)

    @classmethod
    def resumed(cls, size: int, node: NodeSource) -> Frontier:
        """The tree of `size` leaves whose complete subtrees `node` gives."""
        return cls(size, [node(level, index) for level, index in edge_of(size)])

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf (its hash); the nodes it completes, from the leaf up."""
        index, current, level = self.size, leaf, 0
        completed = [(0, index, leaf)]
        while (index >> level) & 1:
            current = node_hash(self._edge.pop(), current)
            level += 1
            completed.append((level, index >> level, current))
        self._edge.append(current)
        self.size += 1
        return completed

    def root(self) -> bytes:
        """MTH of the leaves so far."""
        if not self._edge:
            return EMPTY_ROOT
        root = self._edge[-1]
        for left in reversed(self._edge[:-1]):
            root = node_hash(left, root)
        return root


def edge_of(size: int) -> Iterator[tuple[int, int]]:
    """The complete subtrees a tree of `size` leaves ends with, (level, index), largest first."""
    start = 0
    for level in reversed(range(size.bit_length())):
        if size >> level & 1:
            yield level, start >> level
            start += 1 << level


def root_of(leaves: Iterable[bytes]) -> tuple[int, bytes]:
    """The number of leaves (hashes) and MTH over them, streamed in O(log n) memory."""
    tree = Frontier()
    for leaf in leaves:
        tree.append(leaf)
    return tree.size, tree.root()
