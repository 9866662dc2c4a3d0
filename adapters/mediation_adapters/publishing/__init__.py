"""Every recorded event as a CloudEvent, to NATS JetStream or RabbitMQ (extra `publish`).

`Publisher(store, sink_for(url))` publishes at least once, in the log's order, and keeps
each target's position in the store once the broker confirmed; see docs/integrations.md.
"""

from __future__ import annotations

from mediation_adapters.publishing.cloudevents import CONTENT_TYPE, Envelope, Message
from mediation_adapters.publishing.publisher import Publisher
from mediation_adapters.publishing.sinks import PublishError, Sink, without_credentials
from mediation_domain import InvalidInputError
from mediation_domain.errors import quoted

__all__ = [
    "CONTENT_TYPE",
    "Envelope",
    "Message",
    "PublishError",
    "Publisher",
    "Sink",
    "sink_for",
]


_CLIENTS = {"nats", "aio_pika", "aiormq", "pamqp"}  # what the publish extra installs


def sink_for(url: str) -> Sink:
    """The sink `url` names: nats://host:port/SUBJECT or amqp://user:pw@host:port/EXCHANGE."""
    scheme = url.partition("://")[0]
    if scheme not in {"nats", "amqp"}:
        message = (
            f"unknown target {quoted(without_credentials(url))}: "
            "use nats://host:port/SUBJECT or amqp://user:password@host:port/EXCHANGE"
        )
        raise InvalidInputError(message)
    try:
        if scheme == "nats":
            from mediation_adapters.publishing.nats_sink import NatsSink  # noqa: PLC0415

            return NatsSink(url)
        from mediation_adapters.publishing.amqp_sink import AmqpSink  # noqa: PLC0415

        return AmqpSink(url)
    except ImportError as missing:
        if (missing.name or "").partition(".")[0] not in _CLIENTS:
            raise  # not the extra's: a real import error, shown as it is
        message = (
            f"publishing needs the publish extra ({missing.name} is missing): "
            "pip install 'mediation-domain[publish]'"
        )
        raise InvalidInputError(message) from None
