"""Sealing a store's transparency log: by command, or by the application every n records.

A store sealed in audit format 1 (release 0.x) moves to format 2 at its next seal: its
chain is first recomputed and held to its format 1 checkpoints (a store altered since is
not sealed over), then the tree is built over every record.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from mediation_adapters.storage.errors import StoreError
from mediation_adapters.storage.ledger import Ledger, records
from mediation_adapters.storage.tlog import Sealed, TransparencyLog
from mediation_domain import Mediations
from mediation_domain.audit import chain
from mediation_domain.audit.checkpoints import NoteSigner


@contextmanager
def transparency_log(app: Mediations) -> Iterator[TransparencyLog]:
    """The transparency log of `app`'s store, its ledger closed after use."""
    if app.store is None:
        message = "this application has no store bundle: open it with open_store(url)"
        raise StoreError(message)
    port = app.store.ledger()
    try:
        yield TransparencyLog(port)
    finally:
        port.close()


def seal(app: Mediations, signer: NoteSigner, now: datetime | None = None) -> Sealed | None:
    """Sign a checkpoint over every record of `app`'s store; None when nothing is new."""
    with transparency_log(app) as log:
        if log.format() == 1:
            _check_format_1(app, log.format_1())
            after = 0
        else:
            last = log.latest()
            after = last.last_id if last else 0
        return log.seal(records(app, after), signer, now)


def _check_format_1(app: Mediations, ledger: Ledger) -> None:
    """StoreError unless the records still give every format 1 checkpoint's head."""
    heads = {c.position: c.head for c in ledger.checkpoints()}
    last = max(heads)
    for record, head in chain(records(app)):
        if heads.get(record.id) == head.hex():
            del heads[record.id]
        elif record.id in heads:
            break
        if record.id >= last:
            break
    if heads:
        message = (
            "the records no longer give the heads this store's format 1 checkpoints sign: "
            "run `mediation audit verify` with the format 1 public key before sealing again"
        )
        raise StoreError(message)


class AutoSeal:
    """Seals the store once `every` records were recorded since the last checkpoint.

    Attach it with `app.on_recorded = AutoSeal(signer, every)`; the ledger is opened only
    to seal, so an application that never reaches `every` holds no extra connection.
    """

    def __init__(self, signer: NoteSigner, every: int) -> None:
        if every < 1:
            message = f"seal every {every} records? give a positive number"
            raise StoreError(message)
        self.signer, self.every = signer, every
        self._sealed_up_to: int | None = None

    def __call__(self, app: Mediations, last_recorded: int) -> None:
        """Seal when the unsealed records reach `every`."""
        if self._sealed_up_to is not None and last_recorded - self._sealed_up_to < self.every:
            return
        if self._sealed_up_to is None:
            with transparency_log(app) as log:
                self._sealed_up_to = log.sealed_up_to()
        if last_recorded - self._sealed_up_to >= self.every:
            made = seal(app, self.signer)
            if made is not None:
                self._sealed_up_to = made.last_id
