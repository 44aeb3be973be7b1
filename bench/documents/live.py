"""Live co-editing benchmark: 20 editors on one 500 KB document, each with a socket
to the ASGI application (in this process, the Redis channel layer and PostgreSQL as
in production); editors take turns typing a few characters; for each update, the
time until each of the 19 others has it.

    flock /tmp/maillage-bench.lock python bench/documents/live.py \
        [--database-url postgres://.../maillage_bench_documents] [--editors 20]

Prints (and saves to bench/out/results/documents_live.json): edit-to-other-editor
latency (median, p95, max) over every delivery; the server's cost of one update
(checked, applied, stored, passed on); the memory of one open live document (the
pycrdt document of the 500 KB text the process keeps). Goal (issue 15): p95 < 100 ms.
The 20 sockets share the process (and the 2 cores) with the server, so the figure
includes the clients' own work.
"""

from __future__ import annotations

import asyncio
import base64
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import common  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/maillage_bench_documents"


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _world(editors: int, size: int):
    from django.conf import settings
    from django.test import Client

    from bench.documents.run import _text
    from federation.models import Level, Unit
    from members.models import Membership, User
    from organising.documents import services

    level = Level.objects.get_or_create(
        depth=1, defaults={"name": "National", "plural": "National", "slug": "nat"}
    )[0]
    unit = Unit.objects.filter(slug="bench-live").first() or Unit.objects.add_root(
        {
            "level": level,
            "name": "Bench live",
            "slug": "bench-live",
            "uri": "http://bench/u/live",
        }
    )
    users = []
    for n in range(editors):
        email = f"bench-live-{n}@example.org"
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email=email, password=None, display_name=f"Éditeur {n}"
        )
        Membership.objects.get_or_create(
            user=user, unit=unit, defaults={"status": "adherent"}
        )
        users.append(user)
    document = services.document_create(
        by=users[0],
        owner=unit,
        title="Texte en direct",
        body=_text(random.Random(20), size),
        editors="audience",
    )
    cookies = []
    for user in users:
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        cookies.append(client.cookies[settings.SESSION_COOKIE_NAME].value)
    return document, users, cookies


async def _run(document, users, cookies, rounds: int) -> dict:
    from channels.db import database_sync_to_async
    from channels.testing import WebsocketCommunicator
    from django.conf import settings
    from pycrdt import Doc, Text

    from organising.asgi import application

    ref = document.pk
    sockets, docs = [], []
    for cookie in cookies:
        socket = WebsocketCommunicator(
            application,
            "/ws/",
            headers=[
                (b"origin", b"http://127.0.0.1"),
                (b"host", b"127.0.0.1"),
                (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode()),
            ],
        )
        ok, _ = await socket.connect(timeout=20)
        assert ok, "socket refused"
        await socket.receive_json_from(timeout=20)  # hello
        await socket.send_json_to({"type": "watch", "topic": "document", "id": ref})
        await socket.send_json_to(
            {"type": "topic.send", "topic": "document", "id": ref, "kind": "sync"}
        )
        while True:
            event = await socket.receive_json_from(timeout=30)
            if event.get("kind") == "state":
                break
        doc = Doc()
        doc.apply_update(base64.b64decode(event["update"]))
        sockets.append(socket)
        docs.append(doc)
    latencies: list[float] = []

    async def wait_for(socket, marker: str, sent: float) -> None:
        while True:
            event = await socket.receive_json_from(timeout=30)
            if event.get("kind") == "update" and event.get("update") == marker:
                latencies.append(time.perf_counter() - sent)
                return

    for n in range(rounds):
        i = n % len(sockets)
        doc = docs[i]
        before = doc.get_state()
        doc.get("body", type=Text).insert(0, f"{n} ")
        marker = base64.b64encode(doc.get_update(before)).decode()
        others = [s for j, s in enumerate(sockets) if j != i]
        sent = time.perf_counter()
        await sockets[i].send_json_to(
            {
                "type": "topic.send",
                "topic": "document",
                "id": ref,
                "kind": "update",
                "update": marker,
            }
        )
        await asyncio.gather(*(wait_for(s, marker, sent) for s in others))
        # The sender's own echo, and the others apply it (as pages do).
        await wait_for(sockets[i], marker, sent)
        latencies.pop()
        for j, other in enumerate(docs):
            if j != i:
                other.apply_update(base64.b64decode(marker))
    for socket in sockets:
        await socket.disconnect()
    await database_sync_to_async(lambda: None)()
    ordered = sorted(latencies)
    return {
        "deliveries": len(ordered),
        "latency_median_ms": round(statistics.median(ordered) * 1000, 1),
        "latency_p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 1),
        "latency_max_ms": round(ordered[-1] * 1000, 1),
    }


def main() -> None:
    parser = common.arg_parser(__doc__.splitlines()[0])
    parser.set_defaults(database_url=DEFAULT_DB)
    parser.add_argument("--editors", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--size", type=int, default=500_000)
    args = parser.parse_args()
    common.django_setup(args.database_url, args.redis_url)
    from django.core.management import call_command

    if not args.no_migrate:
        call_command("migrate", verbosity=0)
    from organising.documents import live
    from organising.documents.models import LiveState

    document, users, cookies = _world(args.editors, args.size)
    figures = asyncio.run(_run(document, users, cookies, args.rounds))
    # One update's server cost, without sockets: check, apply, store.
    from pycrdt import Doc, Text

    state = LiveState.objects.get(document=document)
    doc = Doc()
    doc.apply_update(bytes(state.snapshot))
    for update in document.live_updates.order_by("id").values_list("update", flat=True):
        doc.apply_update(bytes(update))
    costs = []
    for n in range(50):
        before = doc.get_state()
        doc.get("body", type=Text).insert(0, "x")
        encoded = base64.b64encode(doc.get_update(before)).decode()
        start = time.perf_counter()
        live.receive_update(users[n % len(users)], document.pk, encoded)
        costs.append(time.perf_counter() - start)
    figures["server_update_median_ms"] = round(statistics.median(costs) * 1000, 2)
    # Memory of one open live document: the process's resident size before and
    # after building 5 more copies (pycrdt keeps it in Rust: tracemalloc misses it).
    live.forget(document.pk)
    state = LiveState.objects.get(document=document)
    kept, before = [], _rss_kb()
    for _ in range(5):
        live.forget(document.pk)
        kept.append(live._doc(document.pk, state))
    figures["memory_open_live_document_kb"] = round((_rss_kb() - before) / 5)
    figures["editors"] = args.editors
    figures["text_kb"] = round(len(document.body.encode()) / 1024)
    common.record("documents_live", figures)


if __name__ == "__main__":
    main()
