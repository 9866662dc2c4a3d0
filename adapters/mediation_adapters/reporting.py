"""The report's facts kept up to date as events arrive: an eventsourcing projection.

`ReportView` is a materialised view of `mediation_domain.reports.CaseFacts`, one row per
case, beside the events (same SQLite file or PostgreSQL schema; in memory for memory://).
It is an eventsourcing `TrackingRecorder`: the position it has read up to is recorded in
eventsourcing's tracking table, in the same transaction as the facts it changed, so a
crash between the two cannot count an event twice or lose one.

`refresh()` reads only the events recorded since that position, a page at a time, and
touches only their cases: its cost grows with the new events, not with the history.
Each page is one transaction that first takes the view's lock, so processes refreshing at
once take turns and never fold an event twice. `rebuild()` starts again from the first
event (for a new indicator); a view written by another `FACTS_VERSION` rebuilds itself.

The rows hold no personal data: neighbourhood, domain, referral, times and codes. While a
case is open its consents are kept under keyed hashes of the party ids (a key of the
view's own, so the hashes match nothing outside it); they are dropped when it closes.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from eventsourcing.persistence import InfrastructureFactory, Tracking, TrackingRecorder
from eventsourcing.popo import POPOTrackingRecorder
from eventsourcing.projection import Projection
from eventsourcing.sqlite import SQLiteTrackingRecorder
from eventsourcing.utils import Environment, resolve_topic

from mediation_domain import InvalidInputError, Mediations
from mediation_domain.errors import quoted
from mediation_domain.reports import CaseFacts, Period, Report, fold

FACTS_VERSION = 1  # raise it when CaseFacts or the fold change: views rebuild themselves
VIEW_NAME = "ReportFacts"
PAGE = 2000
# An event is stamped before it commits (after sealing, and a wait for the lock): a month
# is over for partners a minute after its end, when its last events have surely landed.
COMMIT_GRACE = timedelta(minutes=1)
DEFAULT_TIME_ZONE = "Europe/Paris"  # months and days are the service's, not UTC's
_IN_CHUNK = 500
READ_CHUNK = 5000


class FactsRecorder(TrackingRecorder):
    """Where the facts live; each store's recorder implements these few operations."""

    @contextmanager
    def locked(self) -> Iterator[Any]:  # pragma: no cover - every store overrides it
        """One transaction holding the view's lock; yields what `load`/`save` take."""
        raise NotImplementedError
        yield

    @contextmanager
    def reading(self) -> Iterator[Any]:
        """A transaction that only reads (no lock), for `meta`."""
        datastore: Any = getattr(self, "datastore")  # noqa: B009 - SQLite's and PostgreSQL's
        with datastore.transaction(commit=False) as tx:
            yield tx

    def meta(self, tx: Any) -> tuple[int, bytes] | None:  # noqa: ANN401
        """The version the facts were written by, and the view's hashing key."""
        raise NotImplementedError

    def reset(self, tx: Any, application_name: str, version: int, key: bytes) -> None:  # noqa: ANN401
        """Forget every fact and the position; the view is then as new."""
        raise NotImplementedError

    def position(self, tx: Any, application_name: str) -> int | None:  # noqa: ANN401
        """The last notification id folded in, if any."""
        raise NotImplementedError

    def load(self, tx: Any, cases: Sequence[str]) -> dict[str, CaseFacts]:  # noqa: ANN401
        """The facts of those of `cases` the view holds."""
        raise NotImplementedError

    def save(self, tx: Any, facts: dict[str, CaseFacts], tracking: Tracking) -> None:  # noqa: ANN401
        """Write `facts` and move the position to `tracking`, in the transaction `tx`."""
        raise NotImplementedError

    def all_facts(self) -> Iterator[CaseFacts]:
        """Every case's facts, read in one pass."""
        raise NotImplementedError


def dumps(facts: CaseFacts) -> str:
    """A row's text."""
    return json.dumps(facts.to_json(), separators=(",", ":"))


def loads(text: str) -> CaseFacts:
    """A row's facts."""
    return CaseFacts.from_json(json.loads(text))


_FACTS_TABLE = (
    "CREATE TABLE IF NOT EXISTS report_facts (case_id TEXT PRIMARY KEY, facts TEXT) WITHOUT ROWID"
)
_META_TABLE = (
    "CREATE TABLE IF NOT EXISTS report_facts_meta "
    "(id INTEGER PRIMARY KEY, version INTEGER, hash_key BLOB)"
)


class SQLiteFactsRecorder(SQLiteTrackingRecorder, FactsRecorder):
    """The facts in the store's SQLite file, beside eventsourcing's `tracking` table."""

    def construct_create_table_statements(self) -> list[str]:
        """The tracking table of eventsourcing, and ours."""
        return [
            *super().construct_create_table_statements(),
            _FACTS_TABLE,
            _META_TABLE,
        ]

    @contextmanager
    def locked(self) -> Iterator[Any]:
        """A write first: SQLite then holds its write lock until the commit."""
        with self.datastore.transaction(commit=True) as tx:
            tx.execute("INSERT OR IGNORE INTO report_facts_meta VALUES (1, 0, NULL)")
            yield tx

    def meta(self, tx: Any) -> tuple[int, bytes] | None:  # noqa: ANN401
        """See FactsRecorder."""
        tx.execute("SELECT version, hash_key FROM report_facts_meta WHERE id = 1")
        row = tx.fetchone()
        return None if row is None or row[1] is None else (int(row[0]), bytes(row[1]))

    def reset(self, tx: Any, application_name: str, version: int, key: bytes) -> None:  # noqa: ANN401
        """See FactsRecorder."""
        tx.execute("DELETE FROM report_facts")
        tx.execute("DELETE FROM tracking WHERE application_name = ?", (application_name,))
        tx.execute(
            "UPDATE report_facts_meta SET version = ?, hash_key = ? WHERE id = 1", (version, key)
        )

    def position(self, tx: Any, application_name: str) -> int | None:  # noqa: ANN401
        """See FactsRecorder."""
        return self._max_tracking_id(application_name, tx)

    def load(self, tx: Any, cases: Sequence[str]) -> dict[str, CaseFacts]:  # noqa: ANN401
        """See FactsRecorder."""
        found: dict[str, CaseFacts] = {}
        for start in range(0, len(cases), _IN_CHUNK):
            chunk = cases[start : start + _IN_CHUNK]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT case_id, facts FROM report_facts WHERE case_id IN ({marks})"  # noqa: S608 - marks only
            tx.execute(sql, chunk)
            found.update((row[0], loads(row[1])) for row in tx.fetchall())
        return found

    def save(self, tx: Any, facts: dict[str, CaseFacts], tracking: Tracking) -> None:  # noqa: ANN401
        """See FactsRecorder."""
        tx.executemany(
            "INSERT INTO report_facts VALUES (?, ?) "
            "ON CONFLICT (case_id) DO UPDATE SET facts = excluded.facts",
            [(case, dumps(f)) for case, f in facts.items()],
        )
        self._insert_tracking(tx, tracking)

    def all_facts(self) -> Iterator[CaseFacts]:
        """See FactsRecorder (read in chunks: memory stays flat)."""
        with self.datastore.transaction(commit=False) as cursor:
            tx: Any = getattr(cursor, "sqlite_cursor", cursor)  # sqlite3's, for fetchmany
            tx.execute("SELECT facts FROM report_facts")
            while rows := tx.fetchmany(READ_CHUNK):
                yield from (loads(row[0]) for row in rows)


class MemoryFactsRecorder(POPOTrackingRecorder, FactsRecorder):
    """The facts in this process, for memory:// stores."""

    def __init__(self) -> None:
        super().__init__()
        self._facts: dict[str, str] = {}
        self._meta: tuple[int, bytes] | None = None

    @contextmanager
    def locked(self) -> Iterator[Any]:
        """The recorder's lock; changes are staged and applied only if the block succeeds."""
        with self._database_lock:
            staged: dict[str, Any] = {}
            yield staged
            # The position first, the only step that can fail: then the facts.
            positions = dict(self._max_tracking_ids)
            try:
                if "reset" in staged:
                    self._max_tracking_ids.pop(staged["reset"], None)
                if "tracking" in staged:
                    self._insert_tracking(staged["tracking"])
            except BaseException:
                self._max_tracking_ids.clear()
                self._max_tracking_ids.update(positions)
                raise
            if "reset" in staged:
                self._facts.clear()
            if "meta" in staged:
                self._meta = staged["meta"]
            self._facts.update(staged.get("facts", {}))

    @contextmanager
    def reading(self) -> Iterator[Any]:
        """See FactsRecorder."""
        yield {}

    def meta(self, tx: Any) -> tuple[int, bytes] | None:  # noqa: ANN401
        """See FactsRecorder."""
        staged: tuple[int, bytes] | None = tx.get("meta", self._meta)
        return staged

    def reset(self, tx: Any, application_name: str, version: int, key: bytes) -> None:  # noqa: ANN401
        """See FactsRecorder."""
        tx["reset"], tx["meta"] = application_name, (version, key)

    def position(self, tx: Any, application_name: str) -> int | None:  # noqa: ANN401
        """See FactsRecorder."""
        return None if "reset" in tx else self._max_tracking_ids[application_name]

    def load(self, tx: Any, cases: Sequence[str]) -> dict[str, CaseFacts]:  # noqa: ANN401
        """See FactsRecorder."""
        held = {} if "reset" in tx else self._facts
        return {case: loads(held[case]) for case in cases if case in held}

    def save(self, tx: Any, facts: dict[str, CaseFacts], tracking: Tracking) -> None:  # noqa: ANN401
        """See FactsRecorder."""
        if "reset" not in tx:
            self._assert_tracking_uniqueness(tracking)
        tx["facts"] = {case: dumps(f) for case, f in facts.items()}
        tx["tracking"] = tracking

    def all_facts(self) -> Iterator[CaseFacts]:
        """See FactsRecorder."""
        with self._database_lock:
            rows = list(self._facts.values())
        return (loads(row) for row in rows)


class FactsProjection(Projection[FactsRecorder]):
    """Folds events into the view, each batch with its tracking position, all or nothing."""

    name = VIEW_NAME

    def __init__(self, view: FactsRecorder, application_name: str) -> None:
        super().__init__(view)
        self.application_name = application_name

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:  # noqa: ANN401
        """Fold one event (eventsourcing's projection interface)."""
        self.process_events([(domain_event, tracking)])

    def process_events(
        self, batch: Sequence[tuple[Any, Tracking]], after: int | None = None
    ) -> int:
        """Fold the events of `batch` the view has not seen yet; returns how many.

        `after` is the position the batch was read after. If the view is now behind it
        (reset meanwhile by a rebuild elsewhere), nothing is folded: the caller reads the
        position again. A view written by an older FACTS_VERSION is reset the same way.
        """
        with self.view.locked() as tx:
            key = self._current_key(tx)
            if key is None:
                return 0
            position = self.view.position(tx, self.application_name) or 0
            if position < (after or 0):  # the batch does not follow on: read again
                return 0
            fresh = [(e, t) for e, t in batch if t.notification_id > position]
            if not fresh:
                return 0
            touched = list(dict.fromkeys(str(e.originator_id) for e, _ in fresh))
            facts = self.view.load(tx, touched)
            changed: set[str] = set()

            def party_key(party: str) -> str:
                return hashlib.blake2b(party.encode(), key=key, digest_size=8).hexdigest()

            for event, _ in fresh:
                case = fold(facts, event, party_key)
                if case is not None:
                    changed.add(case)
            self.view.save(tx, {c: facts[c] for c in changed}, fresh[-1][1])
            return len(fresh)

    def make_current(self) -> bool:
        """Reset a view written by another FACTS_VERSION (or never); True if it was.

        Read first without the lock: a view that is current, as it nearly always is, keeps
        writers (commands, other refreshes) waiting for nothing.
        """
        with self.view.reading() as tx:
            meta = self.view.meta(tx)
        if meta is not None and meta[0] == FACTS_VERSION:
            return False
        with self.view.locked() as tx:
            return self._current_key(tx) is None

    def _current_key(self, tx: Any) -> bytes | None:  # noqa: ANN401
        """The view's hashing key; None after resetting a view of an older version."""
        meta = self.view.meta(tx)
        if meta is not None and meta[0] > FACTS_VERSION:  # two versions must not take turns
            message = (
                f"the report's facts were written by a newer version ({meta[0]}, this is "
                f"{FACTS_VERSION}): upgrade mediation-domain"
            )
            raise InvalidInputError(message)
        if meta is None or meta[0] != FACTS_VERSION:
            self.view.reset(tx, self.application_name, FACTS_VERSION, os.urandom(16))
            return None
        return meta[1]

    def reset(self) -> None:
        """Forget every fact: the next refresh starts from the first event."""
        with self.view.locked() as tx:
            self.view.reset(tx, self.application_name, FACTS_VERSION, os.urandom(16))


class ReportView:
    """The facts of `app`'s store, refreshed on demand, and the reports they give."""

    _RECORDERS: ClassVar[dict[str, str]] = {  # topics: PostgreSQL's needs its extra
        "eventsourcing.sqlite": "mediation_adapters.reporting:SQLiteFactsRecorder",
        "eventsourcing.postgres": "mediation_adapters.reporting_postgres:PostgresFactsRecorder",
        "eventsourcing.popo": "mediation_adapters.reporting:MemoryFactsRecorder",
    }

    def __init__(self, app: Mediations) -> None:
        self.app = app
        module = app.env.get("PERSISTENCE_MODULE", "eventsourcing.popo")
        recorder: type[FactsRecorder] = resolve_topic(self._RECORDERS[module])
        if recorder is MemoryFactsRecorder:
            self.view: FactsRecorder = MemoryFactsRecorder()
        else:
            env = Environment(VIEW_NAME, {**app.env, "PERSISTENCE_MODULE": module})
            factory = InfrastructureFactory[Any].construct(env=env)
            self.view = factory.tracking_recorder(recorder)
            self._factory = factory
        self.projection = FactsProjection(self.view, app.name)

    def refresh(self, page: int = PAGE) -> int:
        """Fold the events recorded since the last refresh; returns how many there were."""
        folded = 0
        self.projection.make_current()
        while True:
            start = self.view.max_tracking_id(self.app.name)
            notifications = self.app.recorder.select_notifications(
                start, page, inclusive_of_start=False
            )
            if not notifications:
                return folded
            batch = [
                (self.app.mapper.to_domain_event(n), Tracking(self.app.name, n.id))
                for n in notifications
            ]
            folded += self.projection.process_events(batch, after=start)

    def rebuild(self, page: int = PAGE) -> int:
        """Fold the whole history again (a new indicator); returns how many events."""
        self.projection.reset()
        return self.refresh(page)

    def report(self, period: Period, *, exact: bool = False) -> Report:
        """The indicators over `period`, from facts brought up to date first."""
        self.refresh()
        return Report.of(self.view.all_facts(), period, exact=exact)

    def close(self) -> None:
        """Release the view's connections."""
        factory = getattr(self, "_factory", None)
        if factory is not None:
            factory.close()


def time_zone(name: str | None = None) -> ZoneInfo:
    """The zone months are counted in: `name`, else MEDIATION_TIMEZONE, else Europe/Paris."""
    chosen = name or os.environ.get("MEDIATION_TIMEZONE") or DEFAULT_TIME_ZONE
    try:
        return ZoneInfo(chosen)
    except (ZoneInfoNotFoundError, ValueError):
        message = f"unknown time zone {quoted(chosen)}: use a name such as Europe/Paris"
        raise InvalidInputError(message) from None


def report_period(
    start: str | None,
    end: str | None,
    as_of: str | None = None,
    *,
    exact: bool,
    zone: ZoneInfo | None = None,
) -> Period:
    """The period a user asked for, from texts (YYYY-MM or YYYY-MM-DD; as_of also a time).

    A day as `as_of` means its end; a time without an offset is the service's time. A
    partners' report (not `exact`) covers whole months, all over at `as_of`.
    """
    where = zone or time_zone()
    now = datetime.now(UTC)
    moment = now if exact else now - COMMIT_GRACE
    if as_of:
        text = as_of.strip()
        try:
            if len(text) == len("2026-01-01"):
                next_day = date.fromisoformat(text) + timedelta(days=1)
                moment = datetime.combine(next_day, time(), where) - timedelta(microseconds=1)
            else:
                moment = datetime.fromisoformat(text)
                moment = moment if moment.tzinfo else moment.replace(tzinfo=where)
        except (ValueError, OverflowError):
            message = (
                f"invalid as-of {quoted(as_of)}: a day (2026-06-30) or a time (2026-06-30T18:00)"
            )
            raise InvalidInputError(message) from None
        if not exact and moment > now - COMMIT_GRACE:
            # A partner may not look at a month still running, nor at its last minute.
            message = (
                f"as-of {quoted(as_of)} is not yet past: a partner's report is of what is over"
            )
            raise InvalidInputError(message)
    return Period.of(start, end, as_of=moment, zone=where, whole_months=not exact)
