"""Where published events go: the Sink protocol, and the error a broker's failure raises."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from mediation_adapters.publishing.cloudevents import Message


class PublishError(Exception):
    """The broker did not confirm every message: those after `confirmed` are sent again.

    `confirmed` counts the messages at the head of the batch that the broker did confirm.
    Not a refusal: the broker is down or refused, and publishing tries again.
    """

    def __init__(self, message: str, confirmed: int = 0) -> None:
        super().__init__(message)
        self.confirmed = confirmed


class Sink(Protocol):
    """A broker that takes messages in order and confirms them."""

    @property
    def target(self) -> str:
        """Where the messages go, without credentials: names the position published."""
        ...

    def send(self, messages: Sequence[Message]) -> None:
        """Send `messages` in order; return once the broker confirmed every one.

        PublishError otherwise, with how many at the head were confirmed; the next `send`
        connects again if it must.
        """
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


def without_credentials(url: str) -> str:
    """`url` with any user name and password removed."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
