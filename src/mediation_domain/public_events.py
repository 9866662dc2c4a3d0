"""What others may learn of each event: its public form, with no personal value and no name.

Published events (mediation_adapters.publishing) say what happened, never who: a value
sealed or not that could identify someone is left out, and ids of parties and mediators
are replaced by keyed pseudonyms (`Pseudonyms`: a key of the publisher's own, so they
match nothing outside what it publishes). Each field of each event, and of a party inside
one, is declared here, once: a field added and not declared stops publishing
(`UndeclaredFieldError`) instead of leaking or being dropped unseen.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

import attrs

from mediation_domain.activities import (
    CollectiveAction,
    Orientation,
    ProximityRound,
    WatchReport,
)
from mediation_domain.archive import ArchivedRecord
from mediation_domain.case import MediationCase
from mediation_domain.case_values import Party
from mediation_domain.errors import MediationError

# The fields every event has: they give the CloudEvent's subject, time and version.
ENVELOPE = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic"})

PLAIN = "plain"  # a code, a place or a date: published as it is
PSEUDONYM = "pseudonym"  # a party's or mediator's id, or a list of them: a keyed pseudonym
PARTIES = "parties"  # parties: their pseudonyms (names and contacts are sealed values)
PARTY = "party"  # one party: its pseudonym
INSTITUTION = "institution"  # the institution a party is: its kind only, beside the pseudonym
SUBJECT = "subject"  # an erased subject: a party's pseudonym, or the case id itself
REASON = "reason"  # a reason code: as it is when it is a common one (below), else "other"
LEFT_OUT = "left-out"  # a personal value (sealed): never published, not even sealed
CASE_LINK = "case-link"  # the case an activity came from: its id, as a case's subject is

KNOWN_MOST = 100_000
# A party's own fields, inside Requested (`parties`) and PartyJoined (`party`), declared as
# an event's are: a field added to Party and not declared here stops publishing too.
PARTY_FIELDS: Mapping[str, str] = {
    "id": PSEUDONYM,
    "name": LEFT_OUT,
    "contact": LEFT_OUT,
    # An institution's kind is published beside its party's pseudonym ("institutions" in
    # Requested, "institution" in PartyJoined: only for a party that is one), and its name
    # is not. The name is no one's personal data, but with the neighbourhood and the day,
    # a small institution's (a school, an association) points at one case and the people
    # in it; a kind is one code of ten. A tool that needs the name reads the case.
    "institution": INSTITUTION,
}
C = MediationCase
PUBLIC_FIELDS: Mapping[type, Mapping[str, str]] = {
    C.Requested: {
        "domain": PLAIN,
        "neighbourhood": PLAIN,
        "referral": PLAIN,
        "parties": PARTIES,
        "summary": LEFT_OUT,
    },
    C.PartyJoined: {"party": PARTY},
    C.MediatorAssigned: {
        "mediator": PSEUDONYM,
        "declared_ties": PSEUDONYM,
        "ties_waived_by": PSEUDONYM,
    },
    C.MediatorWithdrew: {"mediator": PSEUDONYM, "reason": REASON},
    C.ConsentGiven: {"party": PSEUDONYM},
    C.ConsentWithdrawn: {"party": PSEUDONYM},
    C.ConsentRefused: {"party": PSEUDONYM},
    C.SessionHeld: {"kind": PLAIN, "attendees": PSEUDONYM, "held_on": PLAIN, "notes": LEFT_OUT},
    C.Withdrawn: {"by": PLAIN, "reason": REASON},
    C.Resolved: {"outcome": PLAIN},
    C.PersonalDataErased: {"subject": SUBJECT, "reason": REASON},
    # Activities hold counts, codes, places and dates; a person's id and name never go out.
    ProximityRound.RoundRecorded: {
        "neighbourhood": PLAIN,
        "bus_line": PLAIN,
        "started_at": PLAIN,
        "ended_at": PLAIN,
        "team": PSEUDONYM,
        "contacts": PLAIN,
        "observed": PLAIN,
    },
    CollectiveAction.ActionHeld: {
        "kind": PLAIN,
        "domain": PLAIN,
        "neighbourhood": PLAIN,
        "held_on": PLAIN,
        "attendance": PLAIN,
        "partners": PLAIN,
        "team": PSEUDONYM,
    },
    WatchReport.WatchReported: {
        "kind": PLAIN,
        "domain": PLAIN,
        "neighbourhood": PLAIN,
        "partner": PLAIN,
        "reported_on": PLAIN,
    },
    WatchReport.WatchAcknowledged: {"acknowledged_on": PLAIN},
    WatchReport.WatchClosed: {"closed_on": PLAIN, "answer": PLAIN},
    Orientation.Oriented: {
        "by": PSEUDONYM,
        "need": PLAIN,
        "partner": PLAIN,
        "neighbourhood": PLAIN,
        "oriented_on": PLAIN,
        "follow_up_on": PLAIN,
        "person": LEFT_OUT,  # even a pseudonym would link a person's orientations
        "name": LEFT_OUT,
        "shared": PLAIN,
        "case": CASE_LINK,
    },
    Orientation.FollowedUp: {"followed_up_on": PLAIN, "outcome": PLAIN, "next_follow_up_on": PLAIN},
    Orientation.PersonErased: {"subject": LEFT_OUT, "reason": REASON},
    ArchivedRecord.RecordArchived: {
        "record": CASE_LINK,
        "kind": PLAIN,
        "last_contact": PLAIN,
        "active_until": PLAIN,
    },
    ArchivedRecord.ArchiveRead: {"by": PSEUDONYM, "reason": REASON},
}
# The word each aggregate's events are typed under: mediation.<word>.<Event>.v<version>.
AGGREGATE_WORDS = {
    MediationCase: "case",
    ProximityRound: "round",
    CollectiveAction: "action",
    WatchReport: "watch",
    Orientation: "orientation",
    ArchivedRecord: "archive",
}
_WORDS = {name.__name__: word for name, word in AGGREGATE_WORDS.items()}

# Reason codes are slugs, not free text, but a slug can still name someone or say too much
# ("jean-dupont-moved", "illness"): only these common ones are published as they are, any
# other as "other" (the case itself, read with a coordinator's rights, has the code).
PUBLISHED_REASONS = frozenset(
    {
        "unavailable",
        "conflict-of-interest",
        "no-longer-needed",
        "consent-withdrawn",
        "consent-refused",
        "resolved-elsewhere",
        "no-contact",
        "out-of-scope",
        "oriented-to-partner",
        "data-subject-request",
        "retention-period",
        "litigation",  # why an archived record was read
        "subject-access-request",
    }
)
OTHER_REASON = "other"


class UndeclaredFieldError(MediationError):
    """An event, or a field of one, whose public form is not declared: nothing is published."""

    def __init__(self, message: str) -> None:
        super().__init__(message, rule="published-fields-are-declared")


class Pseudonyms:
    """Keyed pseudonyms of ids: the same id gives the same pseudonym under the same key.

    A keyed BLAKE2b (a pseudorandom function of the id under a 32-byte key): without the
    key, a pseudonym says nothing of its id, and ids cannot be tried against it.
    """

    def __init__(self, key: bytes, *, most: int = KNOWN_MOST) -> None:
        """Under `key`; at most `most` pseudonyms are kept to be reused (memory stays flat)."""
        self._key, self._most = key, most
        self._known: dict[str, str] = {}  # a history names the same parties again and again

    def __call__(self, identifier: str) -> str:
        """The pseudonym of `identifier`: 20 hex digits, that only the key's holder recomputes."""
        known = self._known.get(identifier)
        if known is None:
            digest = hashlib.blake2b(identifier.encode(), key=self._key, digest_size=10)
            known = digest.hexdigest()
            if len(self._known) >= self._most:
                self._known.clear()
            self._known[identifier] = known
        return known


def event_type(event: object) -> str:
    """The event's aggregate, name and version, e.g. `mediation.case.Resolved.v1`."""
    kind = type(event)
    version = getattr(kind, "class_version", 1)
    word = _WORDS.get(kind.__qualname__.partition(".")[0], "case")
    return f"mediation.{word}.{kind.__name__}.v{version}"


def public_data(event: object, pseudonym: Callable[[str], str]) -> dict[str, Any]:
    """The event's public fields, as JSON values; UndeclaredFieldError for what is not declared."""
    declared = PUBLIC_FIELDS.get(type(event))
    if declared is None:
        message = f"no public form is declared for {type(event).__qualname__}: nothing published"
        raise UndeclaredFieldError(message)
    data: dict[str, Any] = {}
    case = str(event.originator_id)  # type: ignore[attr-defined]
    for name in _fields(type(event)):
        kind = declared.get(name)
        if kind is None:
            message = (
                f"{type(event).__qualname__}.{name} has no declared public form: nothing published"
            )
            raise UndeclaredFieldError(message)
        if kind != LEFT_OUT:
            data[name] = _public(kind, getattr(event, name), pseudonym, case)
            if kind in {PARTIES, PARTY}:
                data |= _institutions(kind, getattr(event, name), pseudonym)
    return data


def _institutions(kind: str, value: Any, pseudonym: Callable[[str], str]) -> dict[str, Any]:  # noqa: ANN401
    """The kinds of the institutions among a field's parties, by pseudonym ({} for persons)."""
    parties: tuple[Party, ...] = tuple(value) if kind == PARTIES else (value,)
    for field in attrs.fields(Party):
        if field.name not in PARTY_FIELDS:
            message = f"Party.{field.name} has no declared public form: nothing published"
            raise UndeclaredFieldError(message)
    kinds = {
        pseudonym(str(party.id)): party.institution.kind.value
        for party in parties
        if party.institution is not None
    }
    if not kinds:
        return {}
    return {"institutions": kinds} if kind == PARTIES else {"institution": kinds.popitem()[1]}


def _fields(event_class: type) -> tuple[str, ...]:
    """The event class's own fields, in order (its envelope aside), found once per class."""
    names = _FIELDS.get(event_class)
    if names is None:
        fields = dataclasses.fields(event_class)
        names = _FIELDS[event_class] = tuple(f.name for f in fields if f.name not in ENVELOPE)
    return names


_FIELDS: dict[type, tuple[str, ...]] = {}


def _public(kind: str, value: Any, pseudonym: Callable[[str], str], case: str) -> Any:  # noqa: ANN401
    return _FORMS[kind](value, pseudonym, case)


def _ids(value: Any, pseudonym: Callable[[str], str]) -> Any:  # noqa: ANN401
    if isinstance(value, tuple | list):
        return [pseudonym(str(item)) for item in value]
    return pseudonym(str(value))


def _plain(value: Any) -> Any:  # noqa: ANN401
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value


# How each kind of field is published: (its value, the pseudonyms, the case id) -> JSON.
_FORMS: dict[str, Callable[[Any, Callable[[str], str], str], Any]] = {
    PLAIN: lambda value, _, __: _plain(value),
    PSEUDONYM: lambda value, pseudonym, _: _ids(value, pseudonym),
    PARTIES: lambda value, pseudonym, _: [pseudonym(str(party.id)) for party in value],
    PARTY: lambda value, pseudonym, _: pseudonym(str(value.id)),
    SUBJECT: lambda value, pseudonym, case: value if value == case else pseudonym(value),
    REASON: lambda value, _, __: value.value if value.value in PUBLISHED_REASONS else OTHER_REASON,
    CASE_LINK: lambda value, _, __: None if value is None else str(value),
}
