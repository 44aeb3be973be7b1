"""Notifications in the site and the e-mail of what stayed unread."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from organising.messaging import selectors, services, tasks
from organising.messaging.models import Notification


@pytest.fixture
def mention(people, post_as):
    services.handle_for(people.bob)

    def make(text="hey @bob.durand"):
        return post_as(people.alice, text)

    return make


def test_unread_count_and_mark_read(people, mention, client_as):
    mention()
    assert selectors.unread_counts(people.bob.pk)["notifications"] == 1
    client = client_as(people.bob)
    page = client.get("/notifications/").content.decode()
    assert "mentioned you" in page
    client.post("/notifications/")
    assert selectors.unread_counts(people.bob.pk)["notifications"] == 0


def test_daily_digest_sends_what_stayed_unread_once(people, mention):
    mention("one @bob.durand")
    mention("two @bob.durand")
    read = Notification.objects.order_by("id").first()
    services.notifications_read(user=people.bob, ids=[read.pk])
    assert (
        tasks.email_unread_notifications.apply(kwargs={"frequency": "daily"}).get() == 1
    )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [people.bob.email]
    assert "1 unread notification" in mail.outbox[0].subject
    assert "/posts/" in mail.outbox[0].body
    assert (
        tasks.email_unread_notifications.apply(kwargs={"frequency": "daily"}).get() == 0
    )
    assert len(mail.outbox) == 1


def test_immediate_waits_two_minutes_then_sends(people, mention):
    services.notification_settings_set(user=people.bob, email="immediate")
    mention()
    assert services.notification_emails_send(frequency="immediate") == 0
    later = timezone.now() + timedelta(minutes=3)
    assert services.notification_emails_send(frequency="immediate", now=later) == 1
    assert services.notification_emails_send(frequency="daily") == 0


def test_none_means_no_email(people, mention):
    services.notification_settings_set(user=people.bob, email="none")
    mention()
    later = timezone.now() + timedelta(minutes=3)
    assert services.notification_emails_send(frequency="immediate", now=later) == 0
    assert services.notification_emails_send(frequency="daily") == 0
    assert mail.outbox == []


def test_settings_page(people, client_as):
    client = client_as(people.bob)
    assert client.get("/notifications/settings/").status_code == 200
    response = client.post("/notifications/settings/", {"email": "none"})
    assert response.status_code == 302
    assert people.bob.notification_settings.email == "none"


def test_notification_counts_are_announced_on_commit(
    people, post_as, django_capture_on_commit_callbacks, monkeypatch
):
    from organising.messaging import broadcast

    sent = []
    monkeypatch.setattr(broadcast, "dispatch", lambda function, *args: function(*args))
    monkeypatch.setattr(
        broadcast, "announce_many", lambda groups, event: sent.append((groups, event))
    )
    services.handle_for(people.bob)
    with django_capture_on_commit_callbacks(execute=True):
        post_as(people.alice, "hey @bob.durand")
    counts = [event for groups, event in sent if event["type"] == "counts"]
    assert counts == [{"type": "counts", "notifications": 1, "messages": 0}]
