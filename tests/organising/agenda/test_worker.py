"""Reminders by a real Celery worker (a separate process on Redis and PostgreSQL):
two runs at once and a third after them e-mail each member going exactly once."""

import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from organising.agenda import services
from organising.agenda.models import ReminderSent

REPO = Path(__file__).resolve().parents[3]


def _database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "postgres")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{auth}@{host}/{db['NAME']}"


def _recipients(folder: Path) -> list[str]:
    separator = "-" * 79
    messages = []
    for path in folder.glob("*"):
        messages += [m for m in path.read_text().split(separator) if "Subject:" in m]
    return sorted(
        line.split(":", 1)[1].strip()
        for message in messages
        for line in message.splitlines()
        if line.startswith("To:")
    )


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_reminders_are_sent_once_by_a_real_celery_worker(
    tree, make_member, make_event, tmp_path
):
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        pytest.skip(
            "a real Celery worker needs REDIS_URL (its broker) and DATABASE_URL on "
            "PostgreSQL (the worker process must see the test database)"
        )
    from organising.agenda.tasks import reminders_send_task
    from organising.celery import app

    soon = timezone.now() + timedelta(hours=3)
    event = make_event(starts_at=soon, ends_at=soon + timedelta(hours=2))
    going = [make_member(tree.cell_a1x) for _ in range(3)]
    for person in going:
        services.rsvp_answer(event=event, user=person, answer="going")
    services.rsvp_answer(event=event, user=make_member(tree.cell_a1x), answer="maybe")

    queue = f"agenda-test-{uuid.uuid4().hex[:8]}"
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "organising.settings",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "EMAIL_FILE_PATH": str(mail_dir),
        "PYTHONPATH": str(REPO),
    }
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "organising",
            "--result-backend",
            settings.REDIS_URL,
            "worker",
            "-Q",
            queue,
            "--concurrency",
            "2",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    previous_backend = app.conf.result_backend
    app.conf.result_backend = settings.REDIS_URL
    try:
        first = reminders_send_task.apply_async(queue=queue)
        second = reminders_send_task.apply_async(queue=queue)
        counts = [first.get(timeout=120), second.get(timeout=120)]
        third = reminders_send_task.apply_async(queue=queue).get(timeout=60)
    finally:
        app.conf.result_backend = previous_backend
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)
        log.close()
    output = (tmp_path / "worker.log").read_text(errors="replace")
    assert sum(counts) == len(going), output[-3000:]
    assert third == 0
    assert ReminderSent.objects.count() == len(going)
    assert _recipients(mail_dir) == sorted(p.email for p in going)
