"""Agenda fixtures: an event maker that goes through the service, as views do."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from members.models import Role
from organising.agenda import services

PARIS = ZoneInfo("Europe/Paris")


def paris(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.fixture
def cell_officer(tree, make_member):
    return make_member(tree.cell_a1x, roles=[(tree.cell_a1x, Role.Kind.OFFICER)])


@pytest.fixture
def make_event(cell_secretary):
    """make_event(agenda=cell A1x, by=its secretary, **fields) through the service."""

    def make(agenda=None, by=None, **fields):
        agenda = agenda if agenda is not None else cell_secretary_unit(by)
        fields.setdefault("title", "Réunion de cellule")
        fields.setdefault("starts_at", paris(2026, 12, 10, 19, 0))
        fields.setdefault("ends_at", paris(2026, 12, 10, 21, 0))
        return services.event_create(by=by or cell_secretary, agenda=agenda, **fields)

    def cell_secretary_unit(by):
        from federation import access

        return access.viewer_for(by or cell_secretary).home

    return make
