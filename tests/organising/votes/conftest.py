"""Votes fixtures: a vote maker that goes through the service, as views do."""

from datetime import timedelta

import pytest
from django.utils import timezone

from members.models import Role
from organising.votes import services


@pytest.fixture
def section_officer(tree, make_member):
    """An officer of section A1 (runs its votes and those of its cells)."""
    return make_member(tree.cell_a1y, roles=[(tree.section_a1, Role.Kind.OFFICER)])


@pytest.fixture
def make_vote(tree, section_officer):
    """make_vote(by=section officer, unit=section A1, **fields): a draft."""

    def make(by=None, unit=None, **fields):
        now = timezone.now()
        fields.setdefault("title", "Prochaine action de la section")
        fields.setdefault("kind", "single")
        if fields["kind"] != "motion":
            fields.setdefault("options", ["Tractage", "Réunion publique", "Pétition"])
        fields.setdefault("opens_at", now + timedelta(hours=1))
        fields.setdefault("closes_at", now + timedelta(days=2))
        return services.vote_create(
            by=by or section_officer, unit=unit or tree.section_a1, **fields
        )

    return make


@pytest.fixture
def open_vote(make_vote, section_officer):
    """open_vote(**fields): a vote created and opened now by the section officer."""

    def make(**fields):
        vote = make_vote(**fields)
        return services.vote_open(vote=vote, by=section_officer)

    return make
