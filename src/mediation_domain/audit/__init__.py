"""Tamper evidence over the log: the v1 hash chain, and the transparency log that succeeds it.

`chain` is release 0.x's chain of records and its JSON checkpoints (exports of that format
keep verifying). `merkle`, `proofs`, `checkpoints` and `verification` are the transparency
log (format 2): an RFC 9162 Merkle tree over the records, its inclusion and consistency
proofs, checkpoints as C2SP signed notes, and what verifying a log or a case finds.
"""

from mediation_domain.audit.chain import (
    GENESIS,
    TAG,
    Checkpoint,
    Problem,
    SignatureCheck,
    Signer,
    Verification,
    chain,
    link,
    verify,
    verify_excerpt,
)
from mediation_domain.audit.records import StoredRecord

__all__ = [
    "GENESIS",
    "TAG",
    "Checkpoint",
    "Problem",
    "SignatureCheck",
    "Signer",
    "StoredRecord",
    "Verification",
    "chain",
    "link",
    "verify",
    "verify_excerpt",
]
