"""Private conversations: who can start one, who can read it, unread counts, leaving,
blocking, and bad input."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from organising.messaging import selectors, services
from organising.messaging.models import Conversation, Message


def test_one_to_one_conversation_is_unique_per_pair(people):
    first = services.conversation_start(
        by=people.alice, people=[people.carol], body="Hi"
    )
    second = services.conversation_start(
        by=people.carol, people=[people.alice], body="Hello"
    )
    assert first.pk == second.pk
    assert Message.objects.filter(conversation=first).count() == 2


def test_unread_counts_per_conversation_and_in_total(people):
    one = services.conversation_start(by=people.alice, people=[people.bob], body="1")
    services.message_send(conversation=one, by=people.alice, body="2")
    group = services.conversation_start(
        by=people.carol, people=[people.bob, people.dan], body="g", title="Tract"
    )
    assert selectors.unread_counts(people.bob.pk)["messages"] == 3
    listed = {c.pk: c.unread for c in selectors.conversations_for(people.bob).items}
    assert listed == {one.pk: 2, group.pk: 1}
    services.conversation_read(conversation=one, by=people.bob)
    assert selectors.unread_counts(people.bob.pk)["messages"] == 1
    assert selectors.unread_counts(people.alice.pk)["messages"] == 0


def test_only_participants_read_a_conversation(people, client_as, api_as):
    conversation = services.conversation_start(
        by=people.alice, people=[people.bob], body="secret"
    )
    assert client_as(people.bob).get(f"/messages/{conversation.pk}/").status_code == 200
    assert (
        client_as(people.carol).get(f"/messages/{conversation.pk}/").status_code == 404
    )
    assert (
        api_as(people.carol)
        .get(f"/api/v1/conversations/{conversation.pk}/messages/")
        .status_code
        == 404
    )
    with pytest.raises(Http404):
        services.message_send(
            conversation=conversation, by=people.carol, body="let me in"
        )
    assert Message.objects.count() == 1


def test_message_to_a_conversation_one_is_not_in_is_404(people, api_as):
    conversation = services.conversation_start(
        by=people.alice, people=[people.bob], body="x"
    )
    response = api_as(people.carol).post(
        f"/api/v1/conversations/{conversation.pk}/messages/",
        {"body": "hi"},
        format="json",
    )
    assert response.status_code == 404
    assert Message.objects.count() == 1


def test_leaving_ends_access(people, client_as):
    conversation = services.conversation_start(
        by=people.carol, people=[people.alice, people.bob], body="g"
    )
    services.conversation_leave(conversation=conversation, by=people.bob)
    assert client_as(people.bob).get(f"/messages/{conversation.pk}/").status_code == 404
    services.message_send(conversation=conversation, by=people.alice, body="after")
    assert selectors.unread_counts(people.bob.pk)["messages"] == 0


def test_blocked_member_cannot_write(people):
    conversation = services.conversation_start(
        by=people.alice, people=[people.bob], body="hi"
    )
    services.relation_set(owner=people.alice, target=people.bob, kind="block")
    with pytest.raises(PermissionDenied):
        services.message_send(conversation=conversation, by=people.bob, body="please")
    with pytest.raises(ValidationError):
        services.conversation_start(by=people.bob, people=[people.alice], body="again")


def test_group_conversation_is_limited_to_50_people(tree, people, make_member):
    crowd = [make_member(tree.cell_a1x) for _ in range(50)]
    with pytest.raises(ValidationError):
        services.conversation_start(by=people.alice, people=crowd, body="all")
    conversation = services.conversation_start(
        by=people.alice, people=crowd[:49], body="all"
    )
    assert conversation.participants.count() == 50
    with pytest.raises(ValidationError):
        services.conversation_add(
            conversation=conversation, by=people.alice, people=[people.bob]
        )


def test_people_who_cannot_see_each_other_cannot_talk(people):
    with pytest.raises(ValidationError):
        services.conversation_start(by=people.alice, people=[people.former], body="hi")
    with pytest.raises(PermissionDenied):
        services.conversation_start(
            by=people.sympathiser, people=[people.alice], body="hi"
        )


@pytest.mark.parametrize("body", ["", "x" * 5001, "<script>x</script>"])
def test_bad_message_bodies_are_refused(people, body):
    conversation = services.conversation_start(by=people.alice, people=[people.bob])
    with pytest.raises(ValidationError):
        services.message_send(conversation=conversation, by=people.alice, body=body)
    assert not Message.objects.exists()


def test_a_retried_send_is_stored_once(people):
    conversation = services.conversation_start(by=people.alice, people=[people.bob])
    first = services.message_send(
        conversation=conversation, by=people.alice, body="hi", client_key="k1"
    )
    again = services.message_send(
        conversation=conversation, by=people.alice, body="hi", client_key="k1"
    )
    assert first.pk == again.pk
    assert selectors.unread_counts(people.bob.pk)["messages"] == 1


def test_a_new_message_brings_back_a_left_one_to_one(people):
    conversation = services.conversation_start(
        by=people.alice, people=[people.bob], body="1"
    )
    services.conversation_leave(conversation=conversation, by=people.bob)
    services.message_send(conversation=conversation, by=people.alice, body="2")
    assert (
        selectors.conversation_for_participant(people.bob, conversation.pk).pk
        == conversation.pk
    )


def test_conversation_pages(people, client_as):
    services.handle_for(people.bob)
    client = client_as(people.alice)
    response = client.post(
        "/messages/new/", {"people": "@bob.durand", "body": "Salut Bob"}
    )
    conversation = Conversation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/messages/{conversation.pk}/"
    bob = client_as(people.bob)
    assert people.alice.display_name in bob.get("/messages/").content.decode()
    page = bob.get(f"/messages/{conversation.pk}/").content.decode()
    assert "Salut Bob" in page
    assert selectors.unread_counts(people.bob.pk)["messages"] == 0  # reading marks read
    response = bob.post(f"/messages/{conversation.pk}/", {"body": "Salut Alice"})
    assert response.status_code == 302
    assert Message.objects.filter(author=people.bob).exists()


def test_unknown_handle_is_a_form_error(people, client_as):
    response = client_as(people.alice).post(
        "/messages/new/", {"people": "@ghost", "body": "x"}
    )
    assert response.status_code == 400
    assert "ghost" in response.content.decode()
    assert not Conversation.objects.exists()


def test_unread_messages_show_in_the_nav_badge(people, client_as):
    services.conversation_start(by=people.alice, people=[people.bob], body="1")
    page = client_as(people.bob).get("/timeline/").content.decode()
    assert 'data-live-count="messages">' in page
    assert "unread: </span>1</span>" in page
    assert len(mail.outbox) == 0


def test_finding_someone_to_write_to_by_name(people, client_as):
    services.relation_set(owner=people.erin, target=people.bob, kind="block")
    client = client_as(people.bob)
    page = client.get("/messages/new/?q=ar").content.decode()
    assert "Alice Martin" in page and "Carol Petit" in page  # "Martin", "Carol"
    assert "Sam Sympathiser" not in client.get("/messages/new/?q=sam").content.decode()
    assert (
        "Nobody you can write to"
        in client.get("/messages/new/?q=erin").content.decode()
    )
    added = client.get(
        f"/messages/new/?to={people.alice.public_id}&to={people.dan.public_id}"
    )
    field = added.context["form"]["people"].value()
    assert field.count("@") == 2


def test_a_sympathiser_finds_nobody_to_write_to(people, client_as):
    page = client_as(people.sympathiser).get("/messages/new/?q=alice").content.decode()
    assert "Alice Martin" not in page
