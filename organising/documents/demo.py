"""Demo documents for `seed_demo`, written through the services: the section's
leaflet with a few revisions (one merged from two concurrent saves), a comment on a
passage with a reply, and a federation text open for amendments with one proposed."""

from datetime import timedelta

from django.utils import timezone

from federation.models import Audience, Unit
from members.models import User

from . import services

LEAFLET = """# Pour des transports publics gratuits à Lyon

La Section de Lyon appelle à la **gratuité des transports en commun** pour toutes et
tous, financée par le versement mobilité des grandes entreprises.

## Pourquoi

- Se déplacer est un droit, pas un luxe.
- Moins de voitures, c'est moins de pollution.
- D'autres villes l'ont fait : Dunkerque, Montpellier.

## Rendez-vous

Samedi à 10 h, place des Terreaux : distribution du tract et signature de la
pétition.
"""


def seed_documents_demo(*, units: dict[str, Unit], people: dict[str, User]) -> None:
    people = {key: User.objects.get(pk=user.pk) for key, user in people.items()}
    section = units["Section de Lyon"]
    secretary, member = people["section_secretary"], people["member"]
    folder = services.folder_create(by=secretary, unit=section, name="Tracts")
    leaflet = services.document_create(
        by=secretary,
        owner=section,
        title="Tract : transports gratuits",
        body=LEAFLET,
        audience=Audience.UNIT_TREE,
        editors="audience",
        folder=folder,
        summary="Premier jet",
    )
    second = LEAFLET.replace("Montpellier.", "Montpellier, Aubagne.")
    services.document_save(
        by=member,
        document=leaflet,
        body=second,
        base_revision=1,
        summary="Un exemple de plus",
    )
    # Written from revision 1 while the member saved: merged with their change.
    services.document_save(
        by=secretary,
        document=leaflet,
        body=LEAFLET.replace("Samedi à 10 h", "Samedi 14 à 10 h"),
        base_revision=1,
        summary="La date précise",
    )
    comment = services.comment_create(
        by=member,
        document=leaflet,
        quote="financée par le versement mobilité des grandes entreprises",
        body="Peut-on donner le montant du versement mobilité à Lyon ?",
    )
    services.comment_create(
        by=secretary,
        document=leaflet,
        parent=comment,
        body="Oui, je cherche le chiffre dans le budget du Sytral.",
    )
    federation = units["Fédération du Rhône"]
    text = services.document_create(
        by=people["federation_secretary"],
        owner=federation,
        title="Motion d'orientation fédérale",
        body=(
            "# Motion d'orientation\n\n"
            "Article 1. La fédération fait de la santé de proximité sa priorité.\n\n"
            "Article 2. Chaque section organise une réunion publique par trimestre.\n"
        ),
        audience=Audience.UNIT_TREE,
        editors="officers",
        amendments_until=timezone.now() + timedelta(days=21),
    )
    services.amendment_propose(
        by=member,
        document=text,
        kind="replace",
        quote="une réunion publique par trimestre",
        text="une réunion publique par mois",
        justification="Un trimestre, c'est trop peu pour tenir le lien.",
    )
