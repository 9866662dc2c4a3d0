"""The report's facts kept up to date as events arrive: a projection beside the events.

`ReportView` is a materialised view of `mediation_domain.reports.CaseFacts`, one row per
case, in the store's projection store (same SQLite file, PostgreSQL schema or MariaDB
database; in memory for memory://). The position it has read up to moves in the same
transaction as the facts it changed, so a crash between the two cannot count an event
twice or lose one (`mediation_domain.projections.View`).

`refresh()` reads only the events recorded since that position, a page at a time, and
touches only their cases: its cost grows with the new events, not with the history.
Each page is one transaction that holds the view's lock, so processes refreshing at once
take turns and never fold an event twice. `rebuild()` starts again from the first event
(for a new indicator); a view written by another `FACTS_VERSION` rebuilds itself.

The rows hold no personal data: neighbourhood, domain, referral, times and codes (an
institution's kind, never its name). While a
case is open its consents are kept under keyed hashes of the party ids (a key of the
view's own, so the hashes match nothing outside it); they are dropped when it closes.

The activities' figures need no facts of their own: a report reads the application's
activity index (caught up before each read) for the activities dated in its period.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from mediation_domain.application.activities import Activities
from mediation_domain.ports import ProjectionTransaction, Row
from mediation_domain.projections import View
from mediation_domain.reports import CaseFacts, Period, Report, Select, fold

# Raise it when CaseFacts or the fold change: views rebuild themselves (a view of another
# version is reset before any of its rows is read). 2: the facts moved into the store's
# projection store (the first version's tables are left unused). 3: the kinds of
# institution each case involves, and since when (a version-2 row has none).
FACTS_VERSION = 3
VIEW_NAME = "report_facts"


def dumps(facts: CaseFacts) -> str:
    """A row's text."""
    return json.dumps(facts.to_json(), separators=(",", ":"))


def loads(text: str) -> CaseFacts:
    """A row's facts."""
    return CaseFacts.from_json(json.loads(text))


class ReportView(View):
    """The facts of `app`'s store, one row per case, refreshed on demand, and their reports."""

    name = VIEW_NAME
    version = FACTS_VERSION
    tables: ClassVar[dict[str, tuple[str, ...]]] = {"report_facts": ()}

    def fold(self, tx: ProjectionTransaction, events: Sequence[Any], secret: bytes) -> None:
        """Fold events into the facts of the cases they touch."""
        touched = list(dict.fromkeys(str(event.originator_id) for event in events))
        facts = {key: loads(row.doc) for key, row in tx.get("report_facts", touched).items()}

        def party_key(party: str) -> str:
            return hashlib.blake2b(party.encode(), key=secret, digest_size=8).hexdigest()

        changed = {case for event in events if (case := fold(facts, event, party_key))}
        tx.put("report_facts", {case: Row(dumps(facts[case])) for case in changed})

    def all_facts(self) -> Iterator[CaseFacts]:
        """Every case's facts, read a chunk at a time."""
        return (loads(row.doc) for row in self.store.scan("report_facts"))

    def report(self, period: Period, *, exact: bool = False) -> Report:
        """The indicators over `period`, from facts brought up to date first.

        With the activities' figures when the view's application keeps activities.
        """
        self.refresh()
        return Report.of(self.all_facts(), period, exact=exact, activities=self._activities())

    def _activities(self) -> Select | None:
        """What reads the application's activity index, None for a log without one."""
        return self.app.activity_index.select if isinstance(self.app, Activities) else None
