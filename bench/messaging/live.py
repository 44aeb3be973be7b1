"""Messaging: live delivery to 1,000 sockets, beside a raw Redis publish.

    python bench/messaging/live.py [--members 100000] [--sockets 1000] [--quick]

- Serves the WebSockets with uvicorn (one process, the production WebSocket server;
  `--server daphne` for comparison) on the Redis channel layer.
- Opens `--sockets` authenticated sockets (one session each) of adherents of one
  federation (all of them, then members of the next federations if it has fewer),
  each showing its home timeline; measures the server's memory before and after: memory
  per idle socket.
- The national secretary posts to "the national level and below", which every one
  of those sockets shows, through the API of a gunicorn process (the production web
  server; its announcer thread renders the card and publishes it once the response
  is sent), not from this process: here, the readers of 1,000 sockets would take
  the interpreter lock from the announcer. For each socket, the time from the start
  of the author's request until its `post.new` arrives. Several posts: time until
  the last socket has it (also counted from the author's response), p50 and p99 of
  single deliveries, the author's request, the first socket after the response.
- Beside it, in the same run: a raw Redis PUBLISH of a message of the same size to
  as many subscribers (one connection each, same client process), time until the
  last has decoded it. `--processes 2` serves the sockets from two server processes.
Results: bench/out/results/messaging.live.json.
"""

import asyncio
import contextlib
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


def server_pid(kind: str, port: int) -> int:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(kind.encode() in arg for arg in argv[:2]) and str(port).encode() in argv:
            return int(entry.name)
    raise common.BenchError(f"{kind} process not found")


def pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * share))], 1)


async def open_sockets(base: str, sessions: list[tuple[int, dict]], received: dict):
    """Open a socket per (index, cookies), each showing its home timeline; every
    `post.new` is timed into received[post id][index]."""
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

    async def one(index: int, cookies: dict):
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
        # Read at once: servers ping idle sockets and close those that do not answer.
        readers.append(asyncio.create_task(reader(index, ws)))
        opened.append(ws)
        if len(opened) % 100 == 0:
            print(f"  {len(opened)} sockets open", flush=True)
        return ws

    sockets = await asyncio.gather(*(one(i, c) for i, c in sessions))
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
    # A message of the size of a post's frame, decoded like one.
    payload = json.dumps({"type": "post.new", "id": 1, "html": "x" * 1800})
    lasts, singles = [], []
    for _ in range(rounds):
        received: list[float] = []

        async def listen(p, received=received):
            while True:
                message = await p.get_message(ignore_subscribe_messages=True, timeout=5)
                if message is not None:
                    json.loads(message["data"])  # as the sockets' reader does
                    received.append(time.perf_counter())
                    return

        listeners = [asyncio.create_task(listen(p)) for p in pubsubs]
        await asyncio.sleep(0.05)
        t0 = time.perf_counter()
        await publisher.publish(channel, payload)
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
        parser.add_argument(
            "--processes", type=int, default=1, help="server processes (default 1)"
        )
        parser.add_argument(
            "--server",
            choices=["daphne", "uvicorn"],
            default="uvicorn",
            help="the ASGI server of the sockets (default uvicorn, as in production)",
        )

    args, summary, _info = prepare(__doc__.splitlines()[0], extra)
    from federation.models import Unit
    from members.models import Membership, User

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

    cell_id = Membership.objects.current().get(user_id=members[0]).unit_id
    cell = Unit.objects.get(pk=cell_id)
    cell_author = User.objects.get(
        pk=Membership.objects.current()
        .filter(unit_id=cell_id, status="adherent")
        .exclude(user_id=members[0])
        .values_list("user_id", flat=True)
        .first()
    )
    in_cell = {
        index
        for index, uid in enumerate(members)
        if uid
        in set(
            Membership.objects.current()
            .filter(unit_id=cell_id)
            .values_list("user_id", flat=True)
        )
    }

    with contextlib.ExitStack() as stack:
        bases = [
            stack.enter_context(
                common.serve(
                    args.server,
                    database_url=args.database_url,
                    redis_url=args.redis_url,
                    workers=1,
                )
            )
            for _ in range(args.processes)
        ]
        pids = [server_pid(args.server, int(base.rsplit(":", 1)[1])) for base in bases]
        web = stack.enter_context(
            common.serve(
                "gunicorn",
                database_url=args.database_url,
                redis_url=args.redis_url,
                workers=1,
                # 24 cell posts by one author within a minute: past the post limits.
                env={"RATE_LIMIT_POST": "", "RATE_LIMIT_POST_NETWORK": ""},
            )
        )
        cell_token = common.api_token(cell_author.pk, name="bench live cell")
        secretary_token = common.api_token(secretary.pk, name="bench live national")

        async def deliver(http, token: str, unit, rounds: int, expected: int):
            """Post `rounds` times through the web server's API; (time to last
            socket, single deliveries, counts, last after the response, author's
            request, first socket after the response)."""
            lasts, singles, delivered, from_response = [], [], [], []
            requests, firsts = [], []
            for n in range(rounds):
                body = {
                    "body": f"Live bench {time.time()} #{n}",
                    "audience": "unit_tree",
                    "audience_unit": unit.pk,
                }
                start = time.perf_counter()
                async with http.post(
                    f"{web}/api/v1/posts/",
                    json=body,
                    headers={"Authorization": f"Bearer {token}"},
                ) as response:
                    data = await response.json()
                    if response.status != 201:
                        raise common.BenchError(f"POST answered {response.status}")
                answered = time.perf_counter()
                requests.append((answered - start) * 1000)
                deadline = answered + 10
                while (
                    len(received.get(data["id"], {})) < expected
                    and time.perf_counter() < deadline
                ):
                    await asyncio.sleep(0.005)
                times = received.get(data["id"], {})
                delivered.append(len(times))
                if times:
                    lasts.append((max(times.values()) - start) * 1000)
                    from_response.append((max(times.values()) - answered) * 1000)
                    firsts.append((min(times.values()) - answered) * 1000)
                    singles += [(t - start) * 1000 for t in times.values()]
                await asyncio.sleep(0.3)
            return lasts, singles, delivered, from_response, requests, firsts

        async def run():
            before = sum(rss_kb(pid) for pid in pids)
            t0 = time.perf_counter()
            numbered = list(enumerate(sessions))
            opened = await asyncio.gather(
                *(
                    open_sockets(base, numbered[i :: len(bases)], received)
                    for i, base in enumerate(bases)
                )
            )
            connect_seconds = time.perf_counter() - t0
            await asyncio.sleep(2)
            after = sum(rss_kb(pid) for pid in pids)
            total = sum(len(sockets) for _http, sockets, _readers in opened)
            figures["server"] = f"{args.server} x {len(bases)}"
            figures["connect_seconds"] = round(connect_seconds, 1)
            figures["server_rss_mb_idle"] = round(before / 1024, 1)
            figures["server_rss_mb_with_sockets"] = round(after / 1024, 1)
            figures["memory_per_idle_socket_kb"] = round((after - before) / total, 1)
            # The first announcement of a web process opens its connections and
            # compiles the card's template: timed apart, not mixed with the others.
            import aiohttp

            http = aiohttp.ClientSession()
            first, *_rest = await deliver(http, cell_token, cell, 1, len(in_cell))
            figures["first_post_after_start_ms"] = round(first[0], 1)
            _lasts, singles, delivered, *_rest = await deliver(
                http, cell_token, cell, rounds * 3, len(in_cell)
            )
            figures["cell_post"] = {
                "sockets_reached": len(in_cell),
                "posts": rounds * 3,
                "delivered_per_post": sorted(set(delivered)),
                "single_delivery_p50_ms": pct(singles, 0.5),
                "single_delivery_p99_ms": pct(singles, 0.99),
            }
            lasts, singles, delivered, from_response, requests, firsts = await deliver(
                http, secretary_token, national, rounds, total
            )
            await http.close()
            figures["national_post"] = {
                "posts": rounds,
                "delivered_per_post": delivered,
                "last_socket_ms_median": round(statistics.median(lasts), 1),
                "last_socket_ms_max": round(max(lasts), 1),
                "last_socket_ms_each": [round(last) for last in lasts],
                "last_socket_ms_after_response_median": round(
                    statistics.median(from_response), 1
                ),
                "author_request_ms_each": [round(t) for t in requests],
                "first_socket_ms_after_response_each": [round(t) for t in firsts],
                "single_delivery_p50_ms": pct(singles, 0.5),
                "single_delivery_p99_ms": pct(singles, 0.99),
            }
            for http, sockets, readers in opened:
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
