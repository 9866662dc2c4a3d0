"""The activity index: one row per round, watch report, orientation and collective action.

Lists (follow-ups due, open watch reports), the activity report and erasure read it, so
they cost what they find. Like the case index, a `View` in the store's projection store,
caught up with the log before each read. Its rows hold no personal data: codes, places,
dates, counts, mediators' ids, and an orientation's person as their pseudonymous id only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar

from mediation_domain.activities import CollectiveAction, Orientation, ProximityRound, WatchReport
from mediation_domain.archive import ArchivedRecord
from mediation_domain.ports import Condition, ProjectionTransaction, Row
from mediation_domain.projections.view import View

ACTIVITY_INDEX_VERSION = 1
ACTIVITIES = "activity_index"
# kind: round/watch/orientation/action; status; due: an open orientation's follow-up date;
# on: the day it happened (a round's start day); subject: a named person's id.
# contact: an orientation's last contact, for the archive; archive rows are keyed by
# archive_id(record), so whether a record is archived is one read by key.
ACTIVITY_FIELDS = ("kind", "status", "due", "on", "neighbourhood", "mediator", "subject", "contact")
_TRIES = 20


def _day(value: Any) -> str | None:  # noqa: ANN401 - a date, a datetime or None
    return None if value is None else value.isoformat()[:10]


def _round(event: Any) -> dict[str, Any]:  # noqa: ANN401 - a RoundRecorded
    return {
        "kind": "round",
        "neighbourhood": event.neighbourhood,
        "bus_line": event.bus_line,
        "started_at": event.started_at.isoformat(),
        "ended_at": event.ended_at.isoformat(),
        "on": _day(event.started_at),  # the day the round started, where it took place
        "team": [m.value for m in event.team],
        "contacts": dict(event.contacts),
        "observed": dict(event.observed),
    }


def _action(event: Any) -> dict[str, Any]:  # noqa: ANN401 - an ActionHeld
    return {
        "kind": "action",
        "action": event.kind.value,
        "domain": event.domain.value,
        "neighbourhood": event.neighbourhood,
        "on": _day(event.held_on),
        "attendance": event.attendance,
        "partners": [p.value for p in event.partners],
        "team": [m.value for m in event.team],
    }


def _watch(event: Any) -> dict[str, Any]:  # noqa: ANN401 - a WatchReported
    return {
        "kind": "watch",
        "watch": event.kind.value,
        "domain": event.domain.value,
        "neighbourhood": event.neighbourhood,
        "partner": event.partner.value,
        "on": _day(event.reported_on),
        "status": "reported",
        "acknowledged_on": None,
        "closed_on": None,
        "answer": None,
    }


def _orientation(event: Any) -> dict[str, Any]:  # noqa: ANN401 - an Oriented
    return {
        "kind": "orientation",
        "need": event.need.value,
        "partner": event.partner.value,
        "neighbourhood": event.neighbourhood,
        "on": _day(event.oriented_on),
        "due": _day(event.follow_up_on),
        "mediator": event.by.value,
        "subject": None if event.person is None else event.person.value,
        "shared": [item.value for item in event.shared],
        "case": None if event.case is None else str(event.case),
        "status": "open",
        "outcome": None,
        "last_contact_on": _day(event.oriented_on),
        "follow_ups": 0,
        "erased": False,
    }


def _archive(event: Any) -> dict[str, Any]:  # noqa: ANN401 - a RecordArchived
    return {
        "kind": "archive",
        "record": str(event.record),
        "record_kind": event.kind,
        "last_contact": event.last_contact.isoformat(),
        "active_until": event.active_until.isoformat(),
        "on": _day(event.timestamp),
        "neighbourhood": None,
        "reads": 0,
    }


# The row's document of each creating event.
_CREATED: dict[type, Callable[[Any], dict[str, Any]]] = {
    ProximityRound.RoundRecorded: _round,
    CollectiveAction.ActionHeld: _action,
    WatchReport.WatchReported: _watch,
    Orientation.Oriented: _orientation,
    ArchivedRecord.RecordArchived: _archive,
}


def _acknowledged(doc: dict[str, Any], event: Any) -> None:  # noqa: ANN401
    doc["acknowledged_on"], doc["status"] = _day(event.acknowledged_on), "acknowledged"


def _closed(doc: dict[str, Any], event: Any) -> None:  # noqa: ANN401
    doc["closed_on"], doc["answer"], doc["status"] = (
        _day(event.closed_on),
        event.answer.value,
        "closed",
    )


def _followed_up(doc: dict[str, Any], event: Any) -> None:  # noqa: ANN401
    doc["outcome"] = event.outcome.value
    doc["last_contact_on"] = _day(event.followed_up_on)
    doc["due"] = _day(event.next_follow_up_on)
    doc["follow_ups"] += 1
    doc["status"] = "open" if event.next_follow_up_on is not None else "settled"


def _erased(doc: dict[str, Any], _: object) -> None:
    doc["erased"] = True


def _read(doc: dict[str, Any], _: object) -> None:
    doc["reads"] += 1


# How each later event changes its activity's document.
_AFTER: dict[type, Callable[[dict[str, Any], Any], None]] = {
    WatchReport.WatchAcknowledged: _acknowledged,
    WatchReport.WatchClosed: _closed,
    Orientation.FollowedUp: _followed_up,
    Orientation.PersonErased: _erased,
    ArchivedRecord.ArchiveRead: _read,
}


def _created(event: object) -> dict[str, Any] | None:
    """The row's document of an activity's first event (None for another event)."""
    make = _CREATED.get(type(event))
    return None if make is None else make(event)


def _after(doc: dict[str, Any], event: object) -> None:
    """Apply a later event of an activity to its document (a case's changes nothing)."""
    change = _AFTER.get(type(event))
    if change is not None:
        change(doc, event)


def _named(doc: dict[str, Any]) -> bool:
    """An orientation naming a person whose name is not erased."""
    return doc["kind"] == "orientation" and bool(doc["subject"]) and not doc["erased"]


def _row(doc: dict[str, Any], seq: int) -> Row:
    fields = {
        "kind": doc["kind"],
        "status": doc.get("status"),
        "due": doc.get("due") if doc.get("status") == "open" else None,
        "on": doc["on"],
        "neighbourhood": doc["neighbourhood"],
        "mediator": doc.get("mediator"),
        "subject": None if doc.get("erased") else doc.get("subject"),
        # Only orientations with a person's name left to keep are found by their last contact:
        # the archive and retention then touch what they may archive or erase, no more.
        "contact": doc["last_contact_on"] if _named(doc) else None,
    }
    return Row(json.dumps({**doc, "seq": seq}, separators=(",", ":")), fields, seq)


class ActivityIndex(View):
    """The index of an application's activities, caught up with the log before each read."""

    name = ACTIVITIES
    version = ACTIVITY_INDEX_VERSION
    tables: ClassVar[dict[str, tuple[str, ...]]] = {ACTIVITIES: ACTIVITY_FIELDS}

    def fold_positioned(
        self, tx: ProjectionTransaction, batch: Sequence[tuple[int, Any]], secret: bytes
    ) -> None:
        """Fold the (position, event) pairs into the rows of the activities they touch."""
        del secret  # the rows hold nothing to hide
        later = [str(e.originator_id) for _, e in batch if _created(e) is None]
        docs = {k: json.loads(r.doc) for k, r in tx.get(ACTIVITIES, later).items()} if later else {}
        changed: set[str] = set()
        for position, event in batch:
            key = str(event.originator_id)
            created = _created(event)
            if created is not None:
                docs[key] = {**created, "seq": position}
            elif key in docs:
                _after(docs[key], event)
            else:
                continue  # a case's event, or one of an activity never indexed
            changed.add(key)
        if changed:
            tx.put(ACTIVITIES, {k: _row(docs[k], docs[k]["seq"]) for k in changed})

    def select(self, where: Sequence[Condition], *, read: int = 500) -> Iterator[dict[str, Any]]:
        """Every activity meeting `where`, in the order recorded, as documents (with their id)."""
        self._caught_up()
        after: int | None = None
        while True:
            with self.store.reading(self.name) as tx:
                rows = tx.select(ACTIVITIES, where, after=after, limit=read)
            for key, row in rows:
                yield {**json.loads(row.doc), "id": key}
            if len(rows) < read:
                return
            after = rows[-1][1].seq

    def get(self, key: str) -> dict[str, Any] | None:
        """One activity's document, None when the index holds no such activity."""
        self._caught_up()
        with self.store.reading(self.name) as tx:
            found = tx.get(ACTIVITIES, [key]).get(key)
        return None if found is None else {**json.loads(found.doc), "id": key}

    def get_many(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The documents of the activities with those keys (the others are absent)."""
        if not keys:
            return {}
        self._caught_up()
        with self.store.reading(self.name) as tx:
            found = tx.get(ACTIVITIES, list(keys))
        return {key: {**json.loads(row.doc), "id": key} for key, row in found.items()}

    def _caught_up(self) -> None:
        """Fold up to the log's end (again, were a rebuild elsewhere to empty the index)."""
        target = self.app.recorder.max_notification_id() or 0
        for _ in range(_TRIES):
            self.refresh()
            position = self.position()
            if (position or 0) >= target:
                return
