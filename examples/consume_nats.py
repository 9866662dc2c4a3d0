"""React to a mediation service's events on NATS JetStream (see docs/integrations.md).

python examples/consume_nats.py nats://127.0.0.1:4222/SUBJECT [--durable NAME] [--idle SECONDS]

A durable pull consumer: it starts where it stopped. Each event is acknowledged once
handled, and an event whose `caseversion` is not above the last one handled for its case
is a duplicate, dropped. Here, handling prints a line; stops after --idle seconds of quiet.
"""

import argparse
import asyncio
import json
from urllib.parse import urlsplit

import nats

last: dict[str, int] = {}  # per case, the last caseversion handled: keep it with your data


def handle(event: dict) -> None:
    case, version = event["subject"], event["caseversion"]
    if version <= last.get(case, 0):
        return  # handled already: the broker or the publisher sent it again
    print(event["id"], case, version, event["type"], flush=True)
    last[case] = version


async def consume(url: str, durable: str, idle: float | None) -> None:
    target = urlsplit(url)
    client = await nats.connect(f"nats://{target.netloc}")
    try:
        events = await client.jetstream().pull_subscribe(target.path[1:], durable=durable)
        while True:
            try:
                batch = await events.fetch(100, timeout=idle or 30)
            except TimeoutError:
                if idle:
                    return
                continue
            for message in batch:
                handle(json.loads(message.data))
                await message.ack()
    finally:
        await client.close()


if __name__ == "__main__":
    arguments = argparse.ArgumentParser()
    arguments.add_argument("url", help="nats://host:port/SUBJECT, as given to mediation publish")
    arguments.add_argument("--durable", default="case-management", help="the consumer's name")
    arguments.add_argument("--idle", type=float, help="stop after this many seconds of quiet")
    given = arguments.parse_args()
    asyncio.run(consume(given.url, given.durable, given.idle))
