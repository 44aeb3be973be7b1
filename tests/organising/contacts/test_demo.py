"""The demo organisation holds contacts a newcomer can explore."""

import pytest
from django.core.management import call_command

from members.models import User
from organising.contacts import selectors
from organising.contacts.models import Contact

pytestmark = pytest.mark.django_db


def test_the_demo_cell_has_contacts_a_history_and_a_duplicate():
    call_command("seed_demo", "--force")
    secretary = User.objects.get(email="secretaire.cellule@demo.maillage.fr")
    member = User.objects.get(email="membre@demo.maillage.fr")
    contacts = Contact.objects.filter(unit__name="Cellule Lyon 1er")
    assert contacts.count() >= 9  # the petitions' demo signers may add some
    nadia = contacts.get(email="nadia.benali@example.fr")
    assert nadia.consents.count() == 2 and nadia.interactions.count() == 3
    rows, _ = selectors.contacts_search(member)
    assert {"Chantal Morel", "Nadia Benali", "Julien Roche"} <= {
        c.full_name for c in rows
    }
    assert "Paul Vidal" not in {c.full_name for c in rows}  # the secretary's alone
    pairs = selectors.duplicates_in(secretary, nadia.unit)
    assert ("name", {"Émilie Fontaine", "Émilie Fontaines"}) in [
        (p.reason, {p.first.full_name, p.second.full_name}) for p in pairs
    ]
