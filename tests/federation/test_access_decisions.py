"""Decisions that used to live outside the policy module, now asked of it: the
composer's audiences (`can_address`), who is told of a report (`told_of_reports`),
the navigation's own-dues link (`dues.own.view`); and no module of messaging, members,
dues or federation (nor their templates) reads the viewer's status or offices to
decide by itself."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser

from federation import access
from federation.models import Group, GroupMembership
from members.models import Role
from organising.messaging import services
from organising.messaging.forms import audience_choices, parse_audience
from organising.messaging.models import Notification, Post

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def personas(tree, make_member):
    group = Group.objects.create(
        unit=tree.section_a1, name="Santé", slug="sante-d", sympathisers_welcome=True
    )
    sympathiser = make_member(tree.cell_a1x, status="sympathiser")
    GroupMembership.objects.create(group=group, user=sympathiser)
    return {
        "member": make_member(tree.cell_a1x),
        "cell_secretary": make_member(
            tree.cell_a1x, roles=[(tree.cell_a1x, Role.Kind.SECRETARY)]
        ),
        "treasurer": make_member(
            tree.cell_a1x, roles=[(tree.cell_a1x, Role.Kind.TREASURER)]
        ),
        "section_officer": make_member(
            tree.cell_a1y, roles=[(tree.section_a1, Role.Kind.OFFICER)]
        ),
        "sympathiser": sympathiser,
        "former": make_member(None),
    }


@pytest.mark.parametrize(
    "name",
    ["member", "cell_secretary", "treasurer", "section_officer", "sympathiser"],
)
def test_the_composer_offers_only_what_the_policy_lets_one_address(personas, name):
    user = personas[name]
    choices = [value for value, _label in audience_choices(user)]
    assert choices
    for value in choices:
        fields = parse_audience(value)
        unit = fields.get("audience_unit")
        assert access.can_address(
            user, fields["audience"], unit, fields.get("audience_group")
        ), value
        if fields.get("unit") is not None:  # posted from that unit
            assert access.can_address(user, "unit", fields["unit"]), value


def test_the_composer_of_a_sympathiser_and_a_former_member(personas):
    sympathiser = [value for value, _ in audience_choices(personas["sympathiser"])]
    assert sympathiser == [f"group:{Group.objects.get(slug='sante-d').pk}"]
    assert audience_choices(personas["former"]) == []
    assert audience_choices(AnonymousUser()) == []


def test_a_section_officer_may_write_for_the_section(tree, personas):
    choices = {value for value, _ in audience_choices(personas["section_officer"])}
    section = tree.section_a1.pk
    assert {f"unit_tree:{section}", f"officers:{section}", f"party@{section}"} <= (
        choices
    )
    plain = {value for value, _ in audience_choices(personas["member"])}
    assert not any(value.startswith("unit_tree:") for value in plain)


def test_a_report_goes_to_the_nearest_officers_the_policy_lets_moderate(
    tree, make_member
):
    author = make_member(tree.cell_a1x)
    reporter = make_member(tree.cell_a1x)
    section_officer = make_member(
        tree.cell_a1y, roles=[(tree.section_a1, Role.Kind.OFFICER)]
    )
    make_member(tree.cell_a1x, roles=[(tree.cell_a1x, Role.Kind.TREASURER)])
    post = services.post_create(
        author=author, body="x", audience="unit", audience_unit=tree.cell_a1x
    )
    # The cell's treasurer does not moderate: the section's officer is told.
    assert access.told_of_reports(tree.cell_a1x) == [section_officer.pk]
    cell_secretary = make_member(
        tree.cell_a1x, roles=[(tree.cell_a1x, Role.Kind.SECRETARY)]
    )
    assert access.told_of_reports(tree.cell_a1x) == [cell_secretary.pk]
    services.post_report(post=Post.objects.get(pk=post.pk), by=reporter, reason="r")
    told = Notification.objects.filter(kind=Notification.Kind.REPORT)
    assert list(told.values_list("recipient_id", flat=True)) == [cell_secretary.pk]
    assert access.told_of_reports(None) == []


def test_the_nav_links_own_dues_as_the_policy_says(tree, make_member, client_as):
    link = 'href="/dues/"'
    former = make_member(None)
    assert access.can(former, "dues.own.view", former)
    pages = {
        "adherent": make_member(tree.cell_a1x),
        "former": former,
        "sympathiser": make_member(tree.cell_a1x, status="sympathiser"),
    }
    shown = {
        name: link in client_as(user).get("/me/").content.decode()
        for name, user in pages.items()
    }
    assert shown == {"adherent": True, "former": True, "sympathiser": False}


# What deciding by oneself looks like outside the policy module.
DECIDING = re.compile(r"\.holds_office\(|\.is_adherent\b|viewer\.status\s*==")
CHECKED = [
    "organising/messaging",
    "members",
    "organising/dues",
    "federation",
    "templates/messaging",
    "templates/members",
    "templates/dues",
    "templates/federation",
]


def test_no_decision_outside_the_policy_module():
    found = []
    for folder in CHECKED:
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in (".py", ".html") or "migrations" in path.parts:
                continue
            if path == ROOT / "federation" / "access.py":
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if DECIDING.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []


def test_the_dead_code_of_issue_11_is_gone():
    from organising.dues import reports, selectors
    from organising.messaging import consumers
    from organising.messaging import services as messaging_services

    assert not hasattr(selectors, "is_in_good_standing")
    assert not hasattr(reports.Figures, "up_to_date_rate")
    assert not hasattr(messaging_services, "_moderators_of")
    source = (ROOT / "organising/messaging/consumers.py").read_text()
    assert "conversations_ok" not in source and consumers.LiveConsumer
