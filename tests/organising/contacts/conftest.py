import pytest
from django.utils import timezone

from members.models import Role
from organising.contacts import services


@pytest.fixture
def secretary(tree, make_member):
    """The secretary of cell A1x (an adherent there)."""
    return make_member(tree.cell_a1x, roles=[(tree.cell_a1x, Role.Kind.SECRETARY)])


@pytest.fixture
def add_contact(tree, member):
    """add_contact(by=member, unit=cell A1x, **fields): a contact met at the market."""

    def add(by=None, unit=None, **fields):
        fields.setdefault("first_name", "Marie")
        fields.setdefault("last_name", "Dupont")
        return services.contact_create(
            unit=unit or tree.cell_a1x,
            by=by or member,
            consent_source="marché",
            consent_covers={"email", "phone"},
            **fields,
        )

    return add


@pytest.fixture
def now():
    return timezone.now()
