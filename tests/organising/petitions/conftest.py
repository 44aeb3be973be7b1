"""Petition fixtures: an open petition of section A1 (its cells cover postcodes), a
signer helper that goes through the service and reads the link from the e-mail."""

import re
from types import SimpleNamespace

import pytest

from federation.models import Territory
from members.models import Role
from organising import ratelimits
from organising.petitions import services

LINK = re.compile(r"/petitions/confirm/([\w-]+)/")


@pytest.fixture(autouse=True)
def fresh_limits():
    ratelimits.reset()
    yield
    ratelimits.reset()


@pytest.fixture
def territories(tree):
    """Cell A1x covers 69001 Lyon 1er, cell A1y 69004 Lyon 4e, section A1 (no cell)
    69009 Lyon 9e, and cell B1x (another federation) 13001 Marseille."""
    rows = [
        (tree.cell_a1x, "69001", "Lyon 1er"),
        (tree.cell_a1y, "69004", "Lyon 4e"),
        (tree.section_a1, "69009", "Lyon 9e"),
        (tree.section_a1, "69001", "Lyon 1er"),
        (tree.cell_b1x, "13001", "Marseille 1er"),
    ]
    for unit, postcode, commune in rows:
        Territory.objects.create(unit=unit, postcode=postcode, commune=commune)
    return rows


@pytest.fixture
def section_officer(tree, make_member):
    return make_member(tree.cell_a1y, roles=[(tree.section_a1, Role.Kind.OFFICER)])


@pytest.fixture
def make_petition(tree, section_secretary, django_capture_on_commit_callbacks):
    """make_petition(unit=section A1, by=its secretary, open=True, **fields)."""

    def make(unit=None, by=None, open=True, **fields):
        by = by or section_secretary
        unit = unit or tree.section_a1
        fields.setdefault("title", "Sauvons la ligne de bus 9")
        fields.setdefault("text", "La ligne 9 relie nos quartiers.\n\nSignez !")
        fields.setdefault("goal", 100)
        fields.setdefault("consent_text", "J’accepte que la section me recontacte.")
        with django_capture_on_commit_callbacks(execute=True):
            petition = services.petition_create(by=by, unit=unit, **fields)
            if open:
                petition = services.petition_open(petition=petition, by=by)
        return petition

    return make


@pytest.fixture
def petition(make_petition, territories):
    return make_petition()


def token_in(message) -> str:
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture
def sign(mailoutbox, django_capture_on_commit_callbacks):
    """sign(petition, email, **fields) -> the token of the e-mail sent (or None)."""

    def do(petition, email="alice@example.org", **fields):
        fields.setdefault("first_name", "Alice")
        fields.setdefault("last_name", "Martin")
        fields.setdefault("postcode", "69001")
        before = len(mailoutbox)
        with django_capture_on_commit_callbacks(execute=True):
            services.signature_request(petition=petition, email=email, **fields)
        sent = mailoutbox[before:]
        if not sent:
            return None
        assert sent[-1].to == [email.strip().lower()]
        return token_in(sent[-1]) if LINK.search(sent[-1].body) else None

    return do


@pytest.fixture
def confirm(django_capture_on_commit_callbacks):
    def do(token):
        with django_capture_on_commit_callbacks(execute=True):
            return services.signature_confirm(token=token)

    return do


@pytest.fixture
def world(tree, petition, section_secretary, section_officer):
    return SimpleNamespace(
        tree=tree,
        petition=petition,
        secretary=section_secretary,
        officer=section_officer,
    )
