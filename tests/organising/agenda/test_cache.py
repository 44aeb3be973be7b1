"""The agenda's caches can only miss: months (entries of each event and of the
whole window), cards and feeds are kept under event versions that every write
replaces in its own transaction, so a page shows a change at once."""

import pytest
from django.db import transaction
from django.urls import reverse

from members.models import Role
from organising.agenda import services, windows
from organising.agenda.models import Event
from organising.cached import cache

from .conftest import paris

DECEMBER = "?view=month&day=2026-12-01"
DECEMBER_LIST = "?view=list&day=2026-12-01"


@pytest.fixture
def weekly(make_event):
    return make_event(title="Réunion hebdo", rrule="FREQ=WEEKLY;COUNT=4")


def month(client) -> str:
    response = client.get(reverse("agenda:mine") + DECEMBER)
    assert response.status_code == 200
    return response.content.decode()


def test_a_change_shows_at_once_on_a_warm_month(
    member, client_as, weekly, cell_secretary, make_member, tree
):
    client = client_as(member)
    page = month(client)
    assert page.count(">Réunion hebdo</a>") == 4
    assert month(client).count(">Réunion hebdo</a>") == 4  # from the cache
    services.event_edit(event=weekly, by=cell_secretary, title="Réunion déplacée")
    services.occurrence_cancel(
        event=weekly, by=cell_secretary, original_start=paris(2026, 12, 17, 19)
    )
    page = month(client)
    assert "Réunion hebdo" not in page
    assert page.count(">Réunion déplacée</a>") == 3
    other = make_member(tree.cell_a1x)
    services.rsvp_answer(
        event=weekly,
        user=other,
        answer="going",
        occurrence_start=paris(2026, 12, 10, 19),
    )
    assert "1 going" in month(client)  # the card's count, from the new version


def test_every_write_replaces_the_version(
    member, weekly, cell_secretary, tree, make_member
):
    section_officer = make_member(
        tree.cell_a1y, roles=[(tree.section_a1, Role.Kind.SECRETARY)]
    )
    seen = {weekly.version}

    def changed():
        version = Event.objects.get(pk=weekly.pk).version
        assert version not in seen
        seen.add(version)

    services.event_edit(event=weekly, by=cell_secretary, place="Salle B")
    changed()
    services.occurrence_move(
        event=weekly,
        by=cell_secretary,
        original_start=paris(2026, 12, 24, 19),
        starts_at=paris(2026, 12, 23, 19),
        ends_at=paris(2026, 12, 23, 21),
    )
    changed()
    services.occurrence_cancel(
        event=weekly, by=cell_secretary, original_start=paris(2026, 12, 17, 19)
    )
    changed()
    services.rsvp_answer(event=weekly, user=member, answer="maybe")
    changed()
    services.event_set_status(event=weekly, by=cell_secretary, status="postponed")
    changed()
    services.event_set_status(event=weekly, by=cell_secretary, status="planned")
    changed()
    services.event_submit(event=weekly, by=cell_secretary)
    changed()
    services.event_publish(event=Event.objects.get(pk=weekly.pk), by=section_officer)
    changed()


def test_what_a_rolled_back_write_read_is_not_kept(member, client_as, weekly):
    before = len(cache._cache) if hasattr(cache, "_cache") else None
    with pytest.raises(RuntimeError), transaction.atomic():
        Event.objects.filter(pk=weekly.pk).update(title="Jamais", version=42)
        events = Event.objects.filter(pk=weekly.pk)
        found = windows.entries(events, paris(2026, 12, 1), paris(2027, 1, 1))
        assert len(found) == 4
        raise RuntimeError
    if before is not None:  # the local-memory cache of the embedded pass
        assert not [k for k in cache._cache if ":42:" in k]
    assert "Jamais" not in month(client_as(member))


def test_warm_month_runs_few_queries_whatever_the_events(
    member, client_as, make_event, django_assert_max_num_queries
):
    for n in range(40):
        make_event(title=f"E{n}", rrule="FREQ=WEEKLY;COUNT=4")
    client = client_as(member)
    month(client)
    with django_assert_max_num_queries(9):  # session, user, viewer: the rest is ours
        page = month(client)
    assert "37 more" in page  # 40 on each Thursday, 3 cards shown


def test_feed_shows_a_change_at_once(member, client_as, weekly, cell_secretary):
    client = client_as(member)
    client.post(reverse("agenda:feed"))
    token = services.feed_token_regenerate(user=member)
    url = reverse("agenda:private_feed", args=[token])
    assert "Réunion hebdo".encode() in client.get(url).content
    assert "Réunion hebdo".encode() in client.get(url).content  # the kept feed
    services.event_edit(event=weekly, by=cell_secretary, title="Réunion déplacée")
    body = client.get(url).content
    assert "Réunion hebdo".encode() not in body and "Réunion déplacée".encode() in body


def test_the_card_a_live_page_fetches_again(
    member, client_as, weekly, cell_secretary, make_event
):
    """The fragment an agenda page reloads when its event changes (htmx)."""
    client = client_as(member)
    url = reverse("agenda:card", args=[weekly.public_id])
    services.event_edit(event=weekly, by=cell_secretary, title="Réunion déplacée")
    card = client.get(url + "?at=20261210T180000Z&compact=1")
    assert card.status_code == 200
    assert "Réunion déplacée" in card.content.decode()
    services.occurrence_cancel(
        event=weekly, by=cell_secretary, original_start=paris(2026, 12, 17, 19)
    )
    assert client.get(url + "?at=20261217T180000Z").content == b""  # gone: removed
    bureau = make_event(title="Bureau", audience="officers")
    hidden = reverse("agenda:card", args=[bureau.public_id])
    assert client.get(hidden).status_code == 404  # officers only


def test_the_navigation_names_my_units_for_the_agenda_badge(member, client_as, tree):
    """The badge on "Agenda" watches my units' agendas (static/js/agenda-live.js)."""
    page = client_as(member).get(reverse("members:profile")).content.decode()
    chain = [tree.national.pk, tree.fed_a.pk, tree.section_a1.pk, tree.cell_a1x.pk]
    assert f'data-agenda-units="{",".join(str(pk) for pk in sorted(chain))}"' in page
    assert "js/agenda-live.js" in page and "data-agenda-badge" in page
