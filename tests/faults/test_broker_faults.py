"""Queueing a task while the broker stalls: the caller gets a logged failure within
the broker timeouts (settings: CELERY_BROKER_*), never an exception, and the
fallback runs. PostgreSQL + Redis pass only (a redis-server of the test's own)."""

import logging

import pytest
from celery import Celery

from organising.celery import app as project_app
from organising.queueing import enqueue

pytestmark = pytest.mark.django_db


@pytest.fixture
def stalled_broker(own_redis):
    # Not the current app: tasks queued by the tests after this one must still find
    # the project's app (its tasks, its result backend), not this stalled probe.
    app = Celery("broker-probe", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.broker_url = own_redis.url
    app.conf.result_backend = own_redis.url
    app.conf.task_always_eager = False

    @app.task(name="broker-probe.noop")
    def noop(value):
        return value

    assert noop.apply_async((1,)).id  # the broker answers
    own_redis.pause()
    try:
        yield noop
    finally:
        own_redis.resume()
        app.close()
        project_app.set_current()


def test_queueing_with_the_broker_stalled_logs_and_falls_back(stalled_broker, caplog):
    ran = []
    with caplog.at_level(logging.ERROR, logger="organising.queueing"):
        result = enqueue(stalled_broker, 2, fallback=lambda: ran.append(True))
    assert result is None
    assert ran == [True]
    assert "Could not queue broker-probe.noop" in caplog.text
