"""Fault injection against a real Redis: each test starts its own redis-server on a
free port (never the machine's), points the cache at it, and pauses it (SIGSTOP),
restarts it from an old snapshot or evicts its keys. PostgreSQL + Redis pass only."""

import os
import shutil
import signal
import socket
import subprocess
import time
from types import SimpleNamespace

import pytest
import redis
from django.conf import settings
from django.db import connection

from tests.organising.messaging.conftest import people, post_as  # noqa: F401

REDIS_SERVER = shutil.which("redis-server")


def pytest_collection_modifyitems(config, items):
    skip = None
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        skip = pytest.mark.skip(
            reason="fault injection runs on PostgreSQL + Redis (set DATABASE_URL "
            "and REDIS_URL)"
        )
    elif REDIS_SERVER is None:
        skip = pytest.mark.skip(reason="needs redis-server on PATH")
    if skip is not None:
        here = os.path.dirname(__file__)
        for item in items:
            if str(item.fspath).startswith(here):
                item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OwnRedis:
    """A redis-server of the test's own, in a temporary folder."""

    def __init__(self, folder):
        self.folder = folder
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None
        self.start()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--dbfilename",
                "dump.rdb",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = self.client()
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_timeout=2)

    def pause(self) -> None:
        """As a network partition looks: connections open, nothing answers."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def snapshot(self):
        """SAVE now; the dump's path (copied aside)."""
        self.client().save()
        kept = self.folder / "snapshot.rdb"
        shutil.copy(self.folder / "dump.rdb", kept)
        return kept

    def restart_from(self, dump) -> None:
        """Stop (nothing saved) and start again with `dump` as its data."""
        self.stop()
        shutil.copy(dump, self.folder / "dump.rdb")
        self.start()

    def evict(self, share: int = 2) -> int:
        """Drop one key in `share` (as maxmemory eviction would); how many."""
        client = self.client()
        keys = sorted(client.keys("*"))
        dropped = keys[::share]
        if dropped:
            client.delete(*dropped)
        return len(dropped)

    def keys(self) -> int:
        return self.client().dbsize()

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def own_redis(tmp_path, settings):
    """The cache on a redis-server of this test's own (the production backend and
    timeouts; the channel layer stays where it was)."""
    server = OwnRedis(tmp_path)
    options = dict(settings.CACHES["default"])
    options["LOCATION"] = server.url
    settings.CACHES = {"default": options}
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def world(tree, people, make_member, post_as):  # noqa: F811
    """A cell secretary (A1x), a section secretary above him, a group of the cell
    with Alice and Bob, and posts the reader Bob sees."""
    from federation.models import Audience, Group, GroupMembership
    from members.models import Role

    cell_secretary = make_member(
        tree.cell_a1x,
        display_name="Cyril Secrétaire",
        roles=[(tree.cell_a1x, Role.Kind.SECRETARY)],
    )
    section_secretary = make_member(
        tree.cell_a1y,
        display_name="Sonia Section",
        roles=[(tree.section_a1, Role.Kind.SECRETARY)],
    )
    group = Group.objects.create(unit=tree.cell_a1x, name="Quartier", slug="quartier")
    for user in (people.alice, people.bob, cell_secretary):
        GroupMembership.objects.create(group=group, user=user)
    kept = post_as(people.alice, "Message qui reste")
    doomed = post_as(people.alice, "Message bientôt supprimé")
    post_as(people.alice, "Groupe : reste", Audience.GROUP, group=group)
    group_doomed = post_as(
        people.alice, "Groupe : bientôt supprimé", Audience.GROUP, group=group
    )
    cell_only = post_as(people.bob, "Réservé à la cellule")
    return SimpleNamespace(
        cell_secretary=cell_secretary,
        section_secretary=section_secretary,
        group=group,
        kept=kept,
        doomed=doomed,
        group_doomed=group_doomed,
        cell_only=cell_only,
    )
