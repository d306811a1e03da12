"""Tamper evidence for the audit trail, pure (no database): canonical bytes, hash chain,
Merkle tree and proofs, checkpoint signatures, the offline verifier, address pseudonyms."""
