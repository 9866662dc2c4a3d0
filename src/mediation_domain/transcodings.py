"""How the values inside events are stored: one generic transcoding per kind of value."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date
from enum import Enum
from typing import Any

import attrs
from eventsourcing.persistence import JSONTranscoder, Transcoding

from mediation_domain.activity_values import (
    AccessNeed,
    ActionKind,
    OrientationOutcome,
    PartnerKind,
    SharedItem,
    WatchAnswer,
    WatchKind,
)
from mediation_domain.case_values import Institution, Party
from mediation_domain.privacy import Sealed
from mediation_domain.values import (
    InterventionDomain,
    MediatorId,
    Outcome,
    PartyId,
    ReasonCode,
    ReferralSource,
    SessionKind,
    WithdrawnBy,
)

# Names under which values are stored: part of the stored format, never to be renamed.
_VALUE_TYPES: tuple[type, ...] = (PartyId, MediatorId, ReasonCode, Sealed, Party, Institution)
# Fields added to a value after values of its kind were stored: written only when set, so
# a value without one is stored as before the field came, and one stored before reads with
# the field's default (None). Party.institution: a person's party is stored as it always was.
_ADDED_LATER: Mapping[type, frozenset[str]] = {Party: frozenset({"institution"})}
_VOCABULARIES: tuple[type[Enum], ...] = (
    InterventionDomain,
    ReferralSource,
    SessionKind,
    Outcome,
    WithdrawnBy,
    WatchKind,
    PartnerKind,
    AccessNeed,
    SharedItem,
    OrientationOutcome,
    ActionKind,
    WatchAnswer,
)


class AttrsTranscoding(Transcoding):
    """Stores an attrs value object as its fields (a one-field object as its one value)."""

    def __init__(self, cls: type) -> None:
        self.type = cls
        self.name = cls.__name__
        self._fields = tuple(field.name for field in attrs.fields(cls))
        self._added_later = _ADDED_LATER.get(cls, frozenset())
        # Ids repeat along a case's history: rebuilding (and re-validating) each is wasted.
        self._decode_one = functools.lru_cache(maxsize=4096)(cls)

    def encode(self, obj: Any) -> Any:  # noqa: ANN401 - JSON data
        """Return the fields (or the one field) of `obj`."""
        if len(self._fields) == 1:
            return getattr(obj, self._fields[0])
        fields = {name: getattr(obj, name) for name in self._fields}
        return {
            name: value
            for name, value in fields.items()
            if value is not None or name not in self._added_later
        }

    def decode(self, data: Any) -> Any:  # noqa: ANN401 - JSON data
        """Rebuild the value object, validators included."""
        if isinstance(data, dict):
            return self.type(**data)
        return self._decode_one(data) if isinstance(data, str) else self.type(data)


class EnumTranscoding(Transcoding):
    """Stores a vocabulary member as its stable code."""

    def __init__(self, cls: type[Enum]) -> None:
        self.type = cls
        self.name = cls.__name__
        self._cls = cls

    def encode(self, obj: Enum) -> Any:  # noqa: ANN401 - JSON data
        """Return the member's code."""
        return obj.value

    def decode(self, data: Any) -> Enum:  # noqa: ANN401 - JSON data
        """Return the member with that code."""
        return self._cls(data)


class DateAsISO(Transcoding):
    """Stores a calendar date as YYYY-MM-DD."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        """Return YYYY-MM-DD."""
        return obj.isoformat()

    def decode(self, data: str) -> date:
        """Parse YYYY-MM-DD."""
        return date.fromisoformat(data)


class LeanJSONTranscoder(JSONTranscoder):
    """eventsourcing's JSON transcoder, same format, with a leaner hook for decoding objects.

    The hook runs for every JSON object of every event read: the auditor's replay spends
    most of its time here.
    """

    def _decode_obj(self, d: dict[str, Any]) -> Any:  # noqa: ANN401 - JSON data
        if len(d) == 2 and "_type_" in d and "_data_" in d:  # noqa: PLR2004 - the two keys
            try:
                transcoding = self.names[d["_type_"]]
            except (KeyError, TypeError):
                return super()._decode_obj(d)  # its error names the unknown type
            return transcoding.decode(d["_data_"])
        return d


def register_value_transcodings(transcoder: JSONTranscoder) -> None:
    """Teach `transcoder` our value objects, vocabularies and dates."""
    transcoder.register(DateAsISO())
    for value_type in _VALUE_TYPES:
        transcoder.register(AttrsTranscoding(value_type))
    for vocabulary in _VOCABULARIES:
        transcoder.register(EnumTranscoding(vocabulary))
