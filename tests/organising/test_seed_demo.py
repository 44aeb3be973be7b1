"""The demo organisation: its shape, its officers and that it is the same every time."""

from django.core.management import call_command

from federation.models import Group, Territory, Unit
from federation.services import units_for_postcode
from members.models import Membership, Role, User


def test_seed_builds_the_demo_organisation(db, capsys, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    output = capsys.readouterr().out
    assert "membre@demo.maillage.fr" in output and "maillage-demo-2026" in output
    assert [Unit.objects.filter(depth=d).count() for d in (1, 2, 3, 4)] == [1, 3, 6, 18]
    assert 190 <= Membership.objects.current().count() <= 230
    for unit in Unit.objects.all():
        kinds = set(Role.objects.filter(unit=unit).values_list("kind", flat=True))
        assert {"secretary", "treasurer"} <= kinds, unit
    assert Group.objects.count() >= 3
    assert units_for_postcode("69003")["cell"].name == "Cellule Lyon 3e"
    assert Territory.objects.filter(insee_code="69383").exists()


def test_seed_is_deterministic_and_refuses_a_second_run(db, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    first = sorted(User.objects.values_list("email", flat=True))
    call_command("seed_demo", "--if-empty")
    assert sorted(User.objects.values_list("email", flat=True)) == first
    assert "Camille Martin" in User.objects.values_list("display_name", flat=True)


def test_demo_member_timeline_shows_every_level_above_their_cell(
    db, settings, client_as
):
    settings.DEBUG = True
    call_command("seed_demo")
    member = User.objects.get(email="membre@demo.maillage.fr")
    page = client_as(member).get("/timeline/").content.decode()
    for text in (
        "21 au 23 août",
        "Conseil fédéral",
        "Tractage",
        "Réunion de cellule",
    ):
        assert text in page
