"""`mediation publish`: every recorded event as a CloudEvent, to NATS JetStream or RabbitMQ."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from mediation_adapters.entrypoints.cli.arguments import EXIT_CHECK_FAILED, EXIT_OK, Commands
from mediation_adapters.publishing import Publisher, PublishError, sink_for
from mediation_adapters.publishing.publisher import POLL
from mediation_domain.application.service import PrincipalService
from mediation_domain.authorisation import Action
from mediation_domain.errors import quoted


def register(commands: Commands) -> None:
    """Declare `publish`, with its arguments, handler and permission."""
    p = commands.add(
        "publish",
        "publish every recorded event as a CloudEvent (extra mediation-domain[publish])",
        Action.ADMINISTER,
        _publish,
        description="Publish every recorded event, in the log's order, as a CloudEvent with "
        "no personal value, to NATS JetStream or RabbitMQ: at least once, from where the "
        "target's last confirmed event stands (kept in the store). Runs until stopped "
        "(Ctrl-C, SIGTERM), or --once. See docs/integrations.md.",
    )
    p.add_argument(
        "--to",
        required=True,
        metavar="URL",
        help="nats://host:port/SUBJECT (JetStream) or amqp://user:password@host:port/EXCHANGE",
    )
    p.add_argument("--once", action="store_true", help="publish what is recorded now, then stop")
    p.add_argument(
        "--source",
        dest="event_source",  # args.source is `show --from`'s export
        metavar="URI",
        help="the CloudEvents source (default: the store's own URN)",
    )
    p.add_argument(
        "--poll",
        type=_seconds,
        default=POLL,
        metavar="SECONDS",
        help=f"how often to look for new events (default {POLL})",
    )


def _publish(_: PrincipalService, args: argparse.Namespace) -> int:
    sink = sink_for(args.to)
    publisher = Publisher(args.app, sink, source=args.event_source)
    try:
        if args.once:
            published = publisher.publish()
        else:
            print(f"publishing to {sink.target} after record {publisher.position()}", flush=True)
            with _stopped_by_signals() as stop:
                published = publisher.run(stop, poll=args.poll, on_failure=_report)
            published += publisher.publish()  # what came before the stop: sent, or exit 1
        position = publisher.position()
    except PublishError as failure:
        print(f"mediation: {failure} (the next run resumes there)", file=sys.stderr)
        return EXIT_CHECK_FAILED
    except KeyboardInterrupt:  # --once, or a second Ctrl-C while the last batch goes
        stands = f"{sink.target} stands at record {publisher.position()}"
        print(f"mediation: interrupted: {stands} (the next run resumes there)", file=sys.stderr)
        return EXIT_CHECK_FAILED
    finally:
        publisher.close()
    done = f"{published} events published" if published else "nothing new to publish"
    print(f"{done} to {sink.target}: it stands at record {position}")
    return EXIT_OK


def _report(failure: PublishError, retry: float) -> None:
    print(f"mediation: {failure} (trying again in {retry:g} s)", file=sys.stderr, flush=True)


@contextmanager
def _stopped_by_signals() -> Iterator[threading.Event]:
    """An event that SIGINT or SIGTERM sets: publishing stops after its current batch."""
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in _SIGNALS}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.01 <= value <= 3600:  # noqa: PLR2004 - the bounds the help gives
        message = f"invalid seconds {quoted(text)}: expected a number from 0.01 to 3600"
        raise argparse.ArgumentTypeError(message)
    return value
