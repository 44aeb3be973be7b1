"""Messaging: live delivery to 1,000 sockets, beside a raw Redis publish.

    python bench/messaging/live.py [--members 100000] [--sockets 1000] [--quick]

- Serves the WebSockets with daphne (one process, the production ASGI server) on the
  Redis channel layer.
- Opens `--sockets` authenticated sockets (one session each) of adherents of one
  federation (all of them, then members of the next federations if it has fewer),
  each showing its home timeline; measures daphne's memory before and after: memory
  per idle socket.
- The national secretary posts to "the national level and below", which every one
  of those sockets shows (through the service, in this process, like a web worker
  would); for each socket, the time from
  the start of the post (the author's request: insert, commit, hand-over to the
  announcer) until its `post.new` arrives. Several posts: time until the last
  socket has it (also counted from the commit), p50 and p99 of single deliveries.
- Beside it, in the same run: a raw Redis PUBLISH to as many subscribers (one
  connection each), time until the last has it.
Results: bench/out/results/messaging.live.json.
"""

import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import common  # noqa: E402
from bench.messaging._setup import prepare  # noqa: E402


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def daphne_pid(port: int) -> int:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(b"daphne" in arg for arg in argv[:2]) and str(port).encode() in argv:
            return int(entry.name)
    raise common.BenchError("daphne process not found")


def pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * share))], 1)


async def open_sockets(base: str, sessions: list[dict], received: dict):
    import aiohttp

    origin = base
    ws_url = base.replace("http://", "ws://") + "/ws/"
    http = aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=60),
        connector=aiohttp.TCPConnector(limit=0),
    )
    opened: list = []
    readers: list = []

    async def reader(index: int, ws):
        async for message in ws:
            data = json.loads(message.data)
            if data.get("type") == "post.new":
                received.setdefault(data["id"], {})[index] = time.perf_counter()

    semaphore = asyncio.Semaphore(20)

    async def one(cookies: dict):
        cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
        async with semaphore:
            ws = await http.ws_connect(
                ws_url,
                headers={"Cookie": cookie, "Origin": origin},
                heartbeat=None,
                timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=10),
            )
            hello = await ws.receive_json(timeout=30)
            assert hello["type"] == "hello", hello
            await ws.send_json({"type": "subscribe", "stream": "home"})
            reply = await ws.receive_json(timeout=30)
            assert reply["type"] == "subscribed", reply
        # Read at once: daphne pings idle sockets and closes those that do not answer.
        readers.append(asyncio.create_task(reader(len(opened), ws)))
        opened.append(ws)
        if len(opened) % 100 == 0:
            print(f"  {len(opened)} sockets open", flush=True)
        return ws

    sockets = await asyncio.gather(*(one(c) for c in sessions))
    return http, sockets, readers


async def raw_redis(redis_url: str, subscribers: int, rounds: int) -> dict:
    import redis.asyncio as redis

    channel = f"bench-raw-{os.getpid()}"
    clients = [redis.from_url(redis_url) for _ in range(subscribers)]
    pubsubs = [client.pubsub() for client in clients]
    await asyncio.gather(*(p.subscribe(channel) for p in pubsubs))
    for p in pubsubs:  # the subscribe confirmations
        await p.get_message(timeout=5)
    publisher = redis.from_url(redis_url)
    lasts, singles = [], []
    for _ in range(rounds):
        received: list[float] = []

        async def listen(p, received=received):
            while True:
                message = await p.get_message(ignore_subscribe_messages=True, timeout=5)
                if message is not None:
                    received.append(time.perf_counter())
                    return

        listeners = [asyncio.create_task(listen(p)) for p in pubsubs]
        await asyncio.sleep(0.05)
        t0 = time.perf_counter()
        await publisher.publish(channel, b"x" * 600)
        await asyncio.gather(*listeners)
        lasts.append((max(received) - t0) * 1000)
        singles += [(t - t0) * 1000 for t in received]
    for p in pubsubs:
        await p.aclose()
    for client in [*clients, publisher]:
        await client.aclose()
    return {
        "subscribers": subscribers,
        "last_ms_median": round(statistics.median(lasts), 1),
        "single_p50_ms": pct(singles, 0.5),
        "single_p99_ms": pct(singles, 0.99),
    }


def main() -> int:
    def extra(parser):
        parser.add_argument("--sockets", type=int, default=1000)

    args, summary, _info = prepare(__doc__.splitlines()[0], extra)
    from federation.models import Audience, Unit
    from members.models import Membership, User
    from organising.messaging import services

    rounds = 3 if args.quick else 8
    federation = Unit.objects.get(pk=summary.federation_id)
    national = Unit.objects.get(pk=summary.national_id)
    secretary = User.objects.get(pk=summary.secretaries["national"])
    members = list(
        Membership.objects.current()
        .filter(status="adherent", unit__path__startswith=federation.path)
        .exclude(user_id=secretary.pk)
        .order_by("user_id")
        .values_list("user_id", flat=True)[: args.sockets]
    )
    if len(members) < args.sockets:
        more = (
            Membership.objects.current()
            .filter(status="adherent")
            .exclude(user_id__in=[*members, secretary.pk])
            .order_by("user_id")
            .values_list("user_id", flat=True)[: args.sockets - len(members)]
        )
        members += list(more)
    in_federation = sum(
        1
        for _ in Membership.objects.current().filter(
            user_id__in=members, unit__path__startswith=federation.path
        )
    )
    sessions = [common.session_cookies(uid) for uid in members]
    figures: dict = {
        "sockets": len(sessions),
        "sockets_in_the_federation": in_federation,
    }
    received: dict[int, dict[int, float]] = {}

    with common.serve(
        "daphne", database_url=args.database_url, redis_url=args.redis_url
    ) as base:
        port = int(base.rsplit(":", 1)[1])
        pid = daphne_pid(port)

        async def run():
            before = rss_kb(pid)
            t0 = time.perf_counter()
            http, sockets, readers = await open_sockets(base, sessions, received)
            connect_seconds = time.perf_counter() - t0
            await asyncio.sleep(2)
            after = rss_kb(pid)
            figures["connect_seconds"] = round(connect_seconds, 1)
            figures["daphne_rss_mb_idle"] = round(before / 1024, 1)
            figures["daphne_rss_mb_with_sockets"] = round(after / 1024, 1)
            figures["memory_per_idle_socket_kb"] = round(
                (after - before) / len(sockets), 1
            )
            loop = asyncio.get_running_loop()
            lasts, singles, delivered, from_commit = [], [], [], []
            for n in range(rounds):
                start = time.perf_counter()
                post = await loop.run_in_executor(
                    None,
                    lambda n=n: services.post_create(
                        author=secretary,
                        body=f"Live bench {time.time()} #{n}",
                        audience=Audience.UNIT_TREE,
                        audience_unit=national,
                    ),
                )
                committed = time.perf_counter()
                deadline = time.perf_counter() + 10
                while (
                    len(received.get(post.pk, {})) < len(sockets)
                    and time.perf_counter() < deadline
                ):
                    await asyncio.sleep(0.01)
                times = received.get(post.pk, {})
                delivered.append(len(times))
                if times:
                    lasts.append((max(times.values()) - start) * 1000)
                    singles += [(t - start) * 1000 for t in times.values()]
                    from_commit.append((max(times.values()) - committed) * 1000)
                await asyncio.sleep(0.3)
            figures["posts"] = rounds
            figures["delivered_per_post"] = delivered
            figures["last_socket_ms_median"] = round(statistics.median(lasts), 1)
            figures["last_socket_ms_max"] = round(max(lasts), 1)
            figures["single_delivery_p50_ms"] = pct(singles, 0.5)
            figures["single_delivery_p99_ms"] = pct(singles, 0.99)
            figures["last_socket_ms_after_commit_median"] = round(
                statistics.median(from_commit), 1
            )
            for task in readers:
                task.cancel()
            await asyncio.gather(
                *(ws.close() for ws in sockets), return_exceptions=True
            )
            await http.close()
            figures["raw_redis_publish"] = await raw_redis(
                args.redis_url, len(sessions), rounds
            )

        asyncio.run(run())
    common.record("messaging.live", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
