import pytest

from members.models import Role
from organising.documents import services


@pytest.fixture
def officer(tree, make_member):
    """A secretary of section A1 (runs its documents and those below)."""
    return make_member(tree.cell_a1y, roles=[(tree.section_a1, Role.Kind.SECRETARY)])


@pytest.fixture
def leaflet(tree, member):
    """A cell document every member of the cell may edit."""
    return services.document_create(
        by=member,
        owner=tree.cell_a1x,
        title="Tract de rentrée",
        body="# Tract\n\nPremier paragraphe.\n\nDeuxième paragraphe.\n\nFin.\n",
        editors="audience",
    )
