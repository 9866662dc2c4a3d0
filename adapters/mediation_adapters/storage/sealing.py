"""Sealing a store's transparency log: by command, or by the application every n records.

A store sealed in audit format 1 (release 0.x) moves to format 2 at its next seal: its
chain is first recomputed and held to its format 1 checkpoints (a store altered since is
not sealed over), then the tree is built over every record.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from mediation_adapters.storage.errors import StoreError
from mediation_adapters.storage.ledger import Ledger, records
from mediation_adapters.storage.tlog import Sealed, TransparencyLog
from mediation_domain import Mediations
from mediation_domain.audit import SignatureCheck, verify
from mediation_domain.audit.checkpoints import NoteSigner

_log = logging.getLogger(__name__)


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


def seal(
    app: Mediations,
    signer: NoteSigner,
    now: datetime | None = None,
    *,
    format_1_key: SignatureCheck | None = None,
) -> Sealed | None:
    """Sign a checkpoint over every record of `app`'s store; None when nothing is new.

    A store sealed in format 1 is verified in format 1 first, with its public key
    `format_1_key` (StoreError without it, or if anything was altered): the tree then
    covers a history its format 1 signatures vouch for.
    """
    with transparency_log(app) as log:
        return log.seal(
            lambda after: records(app, after),
            signer,
            now,
            check_format_1=lambda ledger: _check_format_1(app, ledger, format_1_key),
        )


def _check_format_1(app: Mediations, ledger: Ledger, check: SignatureCheck | None) -> None:
    """StoreError unless format 1's verification of the store finds nothing altered."""
    if check is None:
        message = (
            "this store is sealed in audit format 1: give its format 1 public key "
            "(--format-1-key) so that its history is verified before the tree covers it"
        )
        raise StoreError(message)
    found = verify(records(app), ledger.checkpoints(), check, ledger.sealed())
    if found.problems:
        first = found.problems[0]
        message = (
            f"format 1's verification of this store fails ({first.kind} at {first.position}: "
            f"{first.message}): nothing is sealed over it"
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
            try:
                made = seal(app, self.signer)
            except Exception as error:  # noqa: BLE001 - after the commit, nothing may raise
                # The events are recorded: raising would report a stored command as failed
                # (and a retry would record it twice). The log stays unsealed, and says so.
                _log.warning("recorded, but not sealed (audit seal says why): %s", error)
                return
            if made is not None:
                self._sealed_up_to = made.last_id
