"""The Merkle tree against RFC 6962's recursive definition, and its proofs for every size."""

from __future__ import annotations

import hashlib

from honestcount.intake import merkle


def reference_root(leaves: list[bytes]) -> bytes:
    """MTH exactly as RFC 6962 writes it (recursive split at the largest power of two)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return merkle.node_hash(reference_root(leaves[:k]), reference_root(leaves[k:]))


LEAVES = [merkle.leaf_hash(f"entry {i}".encode()) for i in range(40)]


def test_root_matches_the_rfc_definition():
    for n in range(len(LEAVES) + 1):
        assert merkle.root(LEAVES[:n]) == reference_root(LEAVES[:n])


def test_inclusion_proofs_hold_and_catch_a_wrong_leaf():
    for n in range(1, 24):
        top = merkle.root(LEAVES[:n])
        for i in range(n):
            path = merkle.inclusion_proof(LEAVES[:n], i)
            assert merkle.verify_inclusion(LEAVES[i], i, n, path, top)
            assert not merkle.verify_inclusion(LEAVES[(i + 1) % 40], i, n, path, top)


def test_consistency_proofs_hold_and_catch_a_rewritten_history():
    for n in range(1, 24):
        new_root = merkle.root(LEAVES[:n])
        for m in range(0, n + 1):
            old_root = merkle.root(LEAVES[:m])
            proof = merkle.consistency_proof(LEAVES[:n], m)
            assert merkle.verify_consistency(m, n, old_root, new_root, proof), (m, n)
            if 0 < m < n:
                forged = merkle.root([LEAVES[0][::-1]] + LEAVES[1:m])
                assert not merkle.verify_consistency(m, n, forged, new_root, proof)
                other = LEAVES[: m - 1] + [LEAVES[39]] + LEAVES[m:n]
                assert not merkle.verify_consistency(
                    m, n, old_root, merkle.root(other), merkle.consistency_proof(other, m)
                )
