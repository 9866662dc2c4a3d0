"""The typed errors a refused command raises: one class per kind of refusal."""

from __future__ import annotations

from eventsourcing.persistence import RecordConflictError

QUOTED_CHARACTERS = 80


def quoted(value: object, limit: int = QUOTED_CHARACTERS) -> str:
    """`value` as a message quotes it (its repr), cut in the middle to `limit` characters.

    A refusal names what it refuses, but never echoes a megabyte back to a log or a client.
    Both ends stay: the start says what it was, the end is often where it went wrong
    (a path's last folder, a typo).
    """
    return _cut(repr(value), limit)


def shortened(text: str, *, word: int = 120, limit: int = 500) -> str:
    """`text` with each word longer than `word` cut in the middle, and cut whole at `limit`.

    The last guard of a one-line message, where the edges print it: whatever quoted input a
    message still holds, it stays one short line.
    """
    return _cut(" ".join(_cut(w, word) for w in text.split()), limit)


def _cut(text: str, limit: int) -> str:
    """`text` as it is, or its two ends around '…', `limit` characters in all."""
    if len(text) <= limit:
        return text
    head = limit // 2
    return f"{text[:head]}…{text[len(text) - (limit - head - 1) :]}"


class MediationError(Exception):
    """Base of every refusal; `rule` names the rule that refused, when there is one."""

    def __init__(self, message: str, *, rule: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.rule = rule


class InvalidInputError(MediationError, ValueError):
    """A value is malformed, unknown to the case, or outside the configuration."""


class ConsentError(MediationError):
    """A step needs a consent that is not live (free and revocable consent)."""


class NeutralityError(MediationError):
    """The mediator would not be an independent and neutral third party."""


class CaseClosedError(MediationError):
    """The case was withdrawn or resolved: nothing more can be recorded on it."""


class LifecycleError(MediationError):
    """The step does not fit where the case stands (e.g. resolving before any session)."""


class CaseNotFoundError(MediationError, LookupError):
    """No case has that id in the store."""


class ConcurrencyError(MediationError, RecordConflictError):
    """Someone else recorded on the case meanwhile; reload and retry the command.

    Also a RecordConflictError, so eventsourcing's own machinery still recognises it.
    """


class StaleVersionError(ConcurrencyError):
    """The command named the version it expected the case at, and the case is elsewhere."""
