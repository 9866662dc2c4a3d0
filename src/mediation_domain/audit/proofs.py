"""Inclusion and consistency proofs of RFC 9162 (section 2.1.3 and 2.1.4): made and checked.

Proofs are made from a tree's complete subtrees (`merkle.NodeSource`), O(log n) of them,
and checked with the hashes alone, as an auditor does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from mediation_domain.audit.merkle import HASH_SIZE, NodeSource, node_hash, split, subtree_hash


class ProofError(ValueError):
    """A proof that does not hold: the message says why, in one line."""


def inclusion_proof(index: int, size: int, node: NodeSource) -> list[bytes]:
    """PATH(index, D[size]): the hashes that lead leaf `index` to the root, leaf first."""
    if not 0 <= index < size:
        message = f"leaf {index} is not in a tree of {size} leaves"
        raise ProofError(message)
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = split(end - start)
        if index < start + k:
            path.append(subtree_hash(start + k, end, node))
            end = start + k
        else:
            path.append(subtree_hash(start, start + k, node))
            start += k
    path.reverse()
    return path


def consistency_proof(old: int, new: int, node: NodeSource) -> list[bytes]:
    """PROOF(old, D[new]): the hashes that show a tree of `new` leaves extends one of `old`."""
    if not 0 < old <= new:
        message = f"no consistency proof from {old} leaves to {new}"
        raise ProofError(message)
    path: list[bytes] = []
    start, end, whole = 0, new, True  # whole: MTH(D[0:old]) is known to the verifier
    while end - start != old - start or not whole:
        if end - start == old - start:  # SUBPROOF(m, D[m], false)
            path.append(subtree_hash(start, end, node))
            break
        k = split(end - start)
        if old - start <= k:
            path.append(subtree_hash(start + k, end, node))
            end = start + k
        else:
            path.append(subtree_hash(start, start + k, node))
            start, whole = start + k, False
    path.reverse()
    return path


def root_from_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes:
    """The root that `path` leads leaf `index` (its hash) to, in a tree of `size` leaves.

    RFC 9162, 2.1.3.2. ProofError when the path cannot belong to such a tree.
    """
    if not 0 <= index < size:
        message = f"leaf {index} is not in a tree of {size} leaves"
        raise ProofError(message)
    _check_hashes([leaf, *path])
    root = leaf
    walk = f"the inclusion proof of leaf {index}"
    for sibling, left in _climb(index, size - 1, path, walk):
        root = node_hash(sibling, root) if left else node_hash(root, sibling)
    return root


def check_consistency(
    old: int, old_root: bytes, new: int, new_root: bytes, path: Sequence[bytes]
) -> None:
    """Raise ProofError unless `path` proves the tree (new, new_root) extends (old, old_root).

    RFC 9162, 2.1.4.2, with its edge cases: equal sizes need equal roots and no hashes;
    an old tree of no leaf is refused (every tree extends it: a proof from it would
    prove nothing about the history an auditor kept).
    """
    _check_hashes([old_root, new_root, *path])
    if not 0 < old <= new:
        message = f"no consistency proof from {old} leaves to {new}"
        raise ProofError(message)
    if old == new:
        if path or old_root != new_root:
            message = f"two different trees of {old} leaves"
            raise ProofError(message)
        return
    if not path:
        message = f"an empty consistency proof from {old} leaves to {new}"
        raise ProofError(message)
    hashes = [old_root, *path] if old & (old - 1) == 0 else list(path)
    if _consistent_roots(old, new, hashes) != (old_root, new_root):
        message = f"the tree of {new} leaves does not extend the tree of {old} leaves it was given"
        raise ProofError(message)


def _consistent_roots(old: int, new: int, hashes: Sequence[bytes]) -> tuple[bytes, bytes]:
    """The roots of the old and the new tree that `hashes` lead to (RFC 9162, 2.1.4.2)."""
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    first = second = hashes[0]
    walk = f"the consistency proof from {old} to {new} leaves"
    for step, left in _climb(fn, sn, hashes[1:], walk):
        if left:
            first, second = node_hash(step, first), node_hash(step, second)
        else:
            second = node_hash(second, step)
    return first, second


def _climb(fn: int, sn: int, hashes: Sequence[bytes], walk: str) -> Iterator[tuple[bytes, bool]]:
    """Each hash of a proof, with whether it is the left one at its level (RFC 9162's walk).

    `fn` is the node's index and `sn` the last index at its level, both climbing a level
    a hash; ProofError when the hashes run past the root or stop short of it.
    """
    for digest in hashes:
        if sn == 0:
            message = f"{walk} has too many hashes"
            raise ProofError(message)
        left = bool(fn & 1) or fn == sn
        yield digest, left
        if left:
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        message = f"{walk} has too few hashes"
        raise ProofError(message)


def _check_hashes(hashes: Sequence[bytes]) -> None:
    for digest in hashes:
        if len(digest) != HASH_SIZE:
            message = f"a hash of {len(digest)} bytes, not {HASH_SIZE}"
            raise ProofError(message)
