"""A real Celery worker for a test: a separate process on the test's Redis (broker and
results) and PostgreSQL database, listening on a queue of its own, writing e-mails as
files. Tests marked `celery_worker` use it; PostgreSQL + Redis pass only."""

import contextlib
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Worker:
    queue: str
    mail_dir: Path
    log_path: Path

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def mail_recipients(self) -> list[str]:
        """The To: address of every message the file e-mail backend wrote."""
        separator = "-" * 79
        messages = []
        for path in self.mail_dir.glob("*"):
            text = path.read_text()
            messages += [m for m in text.split(separator) if "Subject:" in m]
        return sorted(
            line.split(":", 1)[1].strip()
            for message in messages
            for line in message.splitlines()
            if line.startswith("To:")
        )


def skip_unless_postgres_and_redis() -> None:
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        pytest.skip(
            "a real Celery worker needs REDIS_URL (its broker) and DATABASE_URL on "
            "PostgreSQL (the worker process must see the test database)"
        )


def _database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "postgres")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{auth}@{host}/{db['NAME']}"


@contextlib.contextmanager
def celery_worker(tmp_path: Path, **extra_env: str):
    """Start a worker (two processes) and yield it; the project's app reads results
    from Redis meanwhile. Stopped (and its log closed) on the way out."""
    from organising.celery import app

    worker = Worker(
        queue=f"test-{uuid.uuid4().hex[:8]}",
        mail_dir=tmp_path / "mail",
        log_path=tmp_path / "worker.log",
    )
    worker.mail_dir.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "organising.settings",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "EMAIL_FILE_PATH": str(worker.mail_dir),
        "PYTHONPATH": str(REPO),
        **extra_env,
    }
    command = [
        sys.executable, "-m", "celery", "-A", "organising",
        "--result-backend", settings.REDIS_URL,
        "worker", "-Q", worker.queue, "--concurrency", "2", "--loglevel", "INFO",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    with worker.log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        previous_backend = app.conf.result_backend
        app.conf.result_backend = settings.REDIS_URL
        try:
            yield worker
        finally:
            app.conf.result_backend = previous_backend
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
