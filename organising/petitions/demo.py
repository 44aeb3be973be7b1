"""Demo petition: Section de Lyon asks to keep a bus line, open, with signers from
its cells' communes (some shown on the page, some who agreed to be contacted and
are now contacts of their cell), and one waiting for confirmation."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from federation.models import Unit
from members.models import User

from . import services
from .models import Petition, Signature

TEXT = """<p>La ligne de bus C9 relie la Croix-Rousse, les pentes et la Guillotière.
La métropole envisage de la supprimer à la rentrée.</p>
<p>Pour des milliers d’habitants, c’est le seul moyen d’aller travailler, étudier ou
se soigner sans voiture. Nous demandons :</p>
<ul>
<li>le maintien de la ligne C9 et de ses horaires du soir ;</li>
<li>une concertation avec les habitants avant toute modification du réseau ;</li>
<li>des bus accessibles aux personnes à mobilité réduite à chaque passage.</li>
</ul>
<p><strong>Signez et partagez</strong> : à 500 signatures, nous remettrons la pétition
au conseil de la métropole.</p>"""

SIGNERS = [
    # first, last, postcode, commune, shown, agreed to be contacted
    ("Amina", "Diallo", "69001", "Lyon 1er", True, True),
    ("Bertrand", "Lefèvre", "69003", "Lyon 3e", True, False),
    ("Claire", "Fontaine", "69007", "Lyon 7e", True, False),
    ("Damien", "Girard", "69001", "Lyon 1er", False, True),
    ("Élodie", "Marchand", "69300", "Caluire-et-Cuire", True, False),
    ("Farid", "Haddad", "69003", "Lyon 3e", True, True),
    ("Gaëlle", "Perrin", "69007", "Lyon 7e", False, False),
    ("Hélène", "Blanc", "69001", "Lyon 1er", True, False),
    ("Ibrahim", "Koné", "69003", "Lyon 3e", True, False),
    ("Julie", "Rousseau", "69300", "Caluire-et-Cuire", False, False),
    ("Karim", "Mansouri", "69007", "Lyon 7e", True, False),
    ("Laure", "Vidal", "69001", "Lyon 1er", True, False),
    ("Mathis", "Garnier", "69003", "Lyon 3e", False, False),
    ("Nina", "Chevalier", "69007", "Lyon 7e", True, False),
    ("Olivier", "Muller", "69001", "Lyon 1er", True, False),
    ("Pauline", "Faure", "69003", "Lyon 3e", True, False),
    ("Quentin", "André", "69007", "Lyon 7e", False, False),
    ("Rania", "Bouzid", "69001", "Lyon 1er", True, False),
]


def seed_petitions_demo(*, section: Unit, people: dict[str, User]) -> Petition:
    """Create the demo petition of `section` through the services; its signers
    are stored as confirmed directly (no e-mail leaves the demo)."""
    by = people["section_secretary"]
    petition = services.petition_create(
        by=by,
        unit=section,
        title="Gardons la ligne de bus C9",
        slug="gardons-la-ligne-c9",
        text=TEXT,
        goal=500,
        ends_at=timezone.now() + timedelta(days=45),
        ask_phone=True,
        consent_text="J’accepte que la Section de Lyon me recontacte au sujet de "
        "cette campagne.",
    )
    petition = services.petition_open(petition=petition, by=by)
    now = timezone.now()
    for n, (first, last, postcode, commune, shown, agreed) in enumerate(SIGNERS):
        signature = Signature.objects.create(
            petition=petition,
            email=f"{first.lower()}.{last.lower()}@example.fr".replace(" ", ""),
            email_domain="example.fr",
            first_name=first,
            last_name=last,
            postcode=postcode,
            commune=commune,
            show_publicly=shown,
            consent_contact=agreed,
            token_hash=services.hash_token(secrets.token_urlsafe(32)),
            token_expires_at=now + timedelta(hours=settings.PETITION_CONFIRM_HOURS),
            created_at=now - timedelta(hours=2 * (len(SIGNERS) - n)),
            confirmed_at=now - timedelta(hours=2 * (len(SIGNERS) - n) - 1),
            routed_to=services.route_unit(petition, postcode, commune),
        )
        if agreed:
            services.signature_to_contact(signature=signature)
    Signature.objects.create(
        petition=petition,
        email="en.attente@example.fr",
        email_domain="example.fr",
        first_name="Sam",
        last_name="Attente",
        postcode="69001",
        commune="Lyon 1er",
        token_hash=services.hash_token(secrets.token_urlsafe(32)),
        token_expires_at=now + timedelta(hours=settings.PETITION_CONFIRM_HOURS),
    )
    Petition.objects.filter(pk=petition.pk).update(signature_count=len(SIGNERS))
    return petition
