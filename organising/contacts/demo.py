"""Demo contacts: the people Cellule Lyon 1er met at the market and door to door,
followed up by its members, with a history, a petition signer and a likely
duplicate to merge; a few members show their commune and phone in the directory."""

from datetime import timedelta

from django.utils import timezone

from federation.models import Unit
from members.models import Membership, User

from . import services
from .models import Consent, Interaction

PEOPLE = [
    # first, last, e-mail, phone, commune, tags, follower key, source
    (
        "Nadia",
        "Benali",
        "nadia.benali@example.fr",
        "06 12 45 78 90",
        "Lyon",
        "marché, logement",
        "member",
        "Marché de la Croix-Rousse",
    ),
    (
        "Julien",
        "Roche",
        "",
        "07 81 22 33 44",
        "Lyon",
        "porte-à-porte",
        "member",
        "Porte-à-porte rue d'Austerlitz",
    ),
    (
        "Chantal",
        "Morel",
        "chantal.morel@example.fr",
        "",
        "Lyon",
        "transports",
        "cell_secretary",
        "Réunion publique sur le tram",
    ),
    (
        "Karim",
        "Haddad",
        "karim.h@example.fr",
        "06 98 76 54 32",
        "Villeurbanne",
        "marché",
        "member",
        "Marché de la Croix-Rousse",
    ),
    (
        "Sophie",
        "Lambert",
        "sophie.lambert@example.fr",
        "",
        "Lyon",
        "école",
        "cell_secretary",
        "Sortie d'école Commandant-Arnaud",
    ),
    (
        "Lucas",
        "Girard",
        "",
        "06 55 44 33 22",
        "Lyon",
        "porte-à-porte, logement",
        "member",
        "Porte-à-porte rue d'Austerlitz",
    ),
    (
        "Émilie",
        "Fontaine",
        "emilie.fontaine@example.fr",
        "06 11 22 33 44",
        "Caluire-et-Cuire",
        "",
        "cell_secretary",
        "Fête de quartier",
    ),
    (
        "Émilie",
        "Fontaines",
        "e.fontaine@example.fr",
        "",
        "Caluire-et-Cuire",
        "marché",
        "member",
        "Marché de la Croix-Rousse",
    ),
    (
        "Paul",
        "Vidal",
        "paul.vidal@example.fr",
        "",
        "Lyon",
        "retraités",
        "cell_secretary",
        "Permanence du samedi",
    ),
]
HISTORY = [
    (Interaction.Kind.CALLED, "Intéressée par la réunion logement."),
    (Interaction.Kind.EVENT, "Venue à la réunion publique."),
]


def seed_contacts_demo(*, cell: Unit, people: dict[str, User]) -> None:
    people = {key: User.objects.get(pk=user.pk) for key, user in people.items()}
    now = timezone.now()
    made = []
    for index, (
        first,
        last,
        email,
        phone,
        commune,
        tags,
        follower,
        source,
    ) in enumerate(PEOPLE):
        contact = services.contact_create(
            unit=cell,
            by=people[follower],
            consent_source=source,
            consent_covers={"email"} | ({"phone"} if phone else set()),
            first_name=first,
            last_name=last,
            email=email,
            phone=phone,
            commune=commune,
            tags=tags,
        )
        Consent.objects.filter(contact=contact).update(
            given_at=now - timedelta(days=60 - 5 * index)
        )
        Interaction.objects.filter(contact=contact).update(
            at=now - timedelta(days=60 - 5 * index)
        )
        made.append(contact)
    for contact, (kind, note) in zip(made[:2], HISTORY, strict=True):
        services.interaction_add(
            contact=contact,
            by=people["member"],
            kind=kind,
            note=note,
            at=now - timedelta(days=3),
        )
    secretary = people["cell_secretary"]
    services.contact_share(contact=made[2], member=people["member"], by=secretary)
    services.contact_from_signature(
        unit=cell,
        first_name="Nadia",
        last_name="Benali",
        email="nadia.benali@example.fr",
        commune="Lyon",
        postcode="69004",
        consent_source="petition:demo",
        consent_covers={"email"},
        at=now - timedelta(days=2),
        petition_title="Pour des logements rénovés à la Croix-Rousse",
    )
    # The directory: a few members of the cell show their commune and phone.
    shown = (
        Membership.objects.current().filter(unit=cell).values_list("user_id", flat=True)
    )
    User.objects.filter(pk__in=list(shown)[:6]).update(
        shared_fields=["commune", "phone"]
    )
