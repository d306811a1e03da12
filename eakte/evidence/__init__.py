"""Hash chain, Merkle checkpoints, signatures, proofs and the offline verifier."""
