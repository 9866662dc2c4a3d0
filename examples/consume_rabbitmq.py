"""React to a mediation service's events on RabbitMQ (see docs/integrations.md).

python examples/consume_rabbitmq.py amqp://USER:PASSWORD@HOST:PORT/EXCHANGE [--queue Q] [--idle S]

A durable queue bound to every event (`#`) of the exchange: run it once before publishing.
Each event is acknowledged once handled, and an event whose `caseversion` is not above
the last one handled for its case is a duplicate, dropped. Here, handling prints a line;
stops after --idle seconds of quiet.
"""

import argparse
import asyncio
import json
from urllib.parse import parse_qs, quote, urlsplit

import aio_pika

last: dict[str, int] = {}  # per case, the last caseversion handled: keep it with your data


def handle(event: dict) -> None:
    case, version = event["subject"], event["caseversion"]
    if version <= last.get(case, 0):
        return  # handled already: the publisher sent it again
    print(event["id"], case, version, event["type"], flush=True)
    last[case] = version


async def consume(url: str, queue_name: str, idle: float | None) -> None:
    target = urlsplit(url)  # the exchange is the path; a virtual host, ?vhost=NAME
    vhost = quote(parse_qs(target.query).get("vhost", ["/"])[0], safe="")
    broker = target._replace(path=f"/{vhost}", query="").geturl()
    async with await aio_pika.connect(broker) as connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=100)
        exchange = await channel.declare_exchange(
            target.path[1:], aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(queue_name, durable=True)
        await queue.bind(exchange, routing_key="#")
        try:
            async with queue.iterator(timeout=idle) as messages:
                async for message in messages:
                    async with message.process():  # acknowledged once handled
                        handle(json.loads(message.body))
        except TimeoutError:
            return  # --idle seconds without a new event


if __name__ == "__main__":
    arguments = argparse.ArgumentParser()
    arguments.add_argument("url", help="amqp://user:password@host:port/EXCHANGE")
    arguments.add_argument("--queue", default="case-management", help="the queue's name")
    arguments.add_argument("--idle", type=float, help="stop after this many seconds of quiet")
    given = arguments.parse_args()
    asyncio.run(consume(given.url, given.queue, given.idle))
