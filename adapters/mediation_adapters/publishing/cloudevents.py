"""Recorded events as CloudEvents 1.0 in structured JSON: what publishing sends.

A CloudEvent's `id` is the store's notification id, `source` the service, `type` the
event's name and version, `subject` the case id, `time` when it was recorded, `data` the
event's public form (mediation_domain.public_events: no personal value, pseudonyms for
the ids of parties and mediators), and the extension `caseversion` its place in its case.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import attrs

from mediation_domain.public_events import Pseudonyms, event_type, public_data

CONTENT_TYPE = "application/cloudevents+json"


@attrs.frozen
class Message:
    """One CloudEvent as a broker receives it: its id, dedupe key, type, subject and body."""

    id: int  # the notification id: the CloudEvent's id, and the position published
    key: str  # source and id: unique among everything published anywhere
    type: str
    subject: str
    body: bytes


@attrs.frozen
class Envelope:
    """What a CloudEvent says of where it comes from, and how ids are made pseudonymous."""

    source: str
    pseudonyms: Pseudonyms

    def message(self, notification_id: int, event: Any) -> Message:  # noqa: ANN401 - any event
        """The CloudEvent of `event`, recorded as notification `notification_id`."""
        kind = event_type(event)
        subject = str(event.originator_id)
        document = {
            "specversion": "1.0",
            "id": str(notification_id),
            "source": self.source,
            "type": kind,
            "subject": subject,
            "time": _rfc3339(event.timestamp),
            "datacontenttype": "application/json",
            "caseversion": event.originator_version,
            "data": public_data(event, self.pseudonyms),
        }
        body = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
        return Message(notification_id, f"{self.source}#{notification_id}", kind, subject, body)


def _rfc3339(moment: datetime) -> str:
    """An RFC 3339 time in UTC, to the microsecond, with a `Z`: always the same length."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
