"""Where each publishing target stands, and the store's publishing key, beside the events.

One projection, `publishing`, in the store's projection store: its secret is the key the
pseudonyms and the default source are derived from (made at random on first use, the same
for every target), and its table holds one row per target (the target's address without
credentials, and the last notification its broker confirmed). A copy of the store carries
both over (`carry_over`), so that publishing from the copy goes on where it stood.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable

from mediation_domain.ports import ProjectionStore, Row

PROJECTION = "publishing"
TABLE = "publishing_targets"
_FIRST_GENERATION = 1


def _key(target: str) -> str:
    return hashlib.blake2b(target.encode(), digest_size=12).hexdigest()


class Positions:
    """The positions of a store's targets and its publishing key, in `projections`."""

    def __init__(self, projections: ProjectionStore) -> None:
        self._projections = projections
        projections.declare(PROJECTION, {TABLE: ()})

    def identity(self) -> tuple[bytes, int]:
        """The store's publishing key, made on first use, and its numbering's generation.

        The generation counts the times the store's records were numbered anew (a copy
        from a log with gaps): ids of one generation name other events in the next.
        """
        with self._projections.reading(PROJECTION) as tx:
            state = tx.state()
        if state is not None:
            return state.secret, state.version
        with self._projections.writing(PROJECTION) as tx:
            state = tx.state()  # another publisher may have made it meanwhile
            if state is not None:
                return state.secret, state.version
            secret = os.urandom(32)
            tx.reset(_FIRST_GENERATION, secret)
            return secret, _FIRST_GENERATION

    def of(self, target: str) -> int:
        """The last notification `target`'s broker confirmed (0 before the first)."""
        with self._projections.reading(PROJECTION) as tx:
            row = tx.get(TABLE, [_key(target)]).get(_key(target))
        return int(json.loads(row.doc)["position"]) if row is not None else 0

    def advance(self, target: str, position: int) -> None:
        """Move `target` forward to `position` (never back: another publisher may be ahead)."""
        with self._projections.writing(PROJECTION) as tx:
            row = tx.get(TABLE, [_key(target)]).get(_key(target))
            if row is None or int(json.loads(row.doc)["position"]) < position:
                tx.put(TABLE, {_key(target): _row(target, position)})

    def all(self) -> dict[str, int]:
        """Every target and where it stands."""
        rows = (json.loads(row.doc) for row in self._projections.scan(TABLE))
        return {row["target"]: int(row["position"]) for row in rows}

    def carry_over(self, copy: Positions, moved: Callable[[int], int] | None) -> None:
        """Give `copy` this store's key, and each target's position as `moved` maps it.

        `moved` None: the copy numbers its records anew (the source's had gaps), so the same
        id names another event there. The copy starts a new generation: another default
        source, every target from its first record.
        """
        with self._projections.reading(PROJECTION) as tx:
            state = tx.state()
        if state is None:
            return
        with copy._projections.writing(PROJECTION) as tx:
            if moved is None:
                tx.reset(state.version + 1, state.secret)
                return
            tx.reset(state.version, state.secret)
            rows = {_key(t): _row(t, moved(position)) for t, position in self.all().items()}
            tx.put(TABLE, rows)


def _row(target: str, position: int) -> Row:
    return Row(json.dumps({"target": target, "position": position}))
