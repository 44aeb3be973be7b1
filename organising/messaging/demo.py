"""Demo posts and a conversation for `seed_demo`, written through the services so that
threads, mentions, hashtags and notifications are what members would produce."""

from federation.models import Audience, Unit
from members.models import User

from . import services
from .models import Reaction


def seed_messaging_demo(*, units: dict[str, Unit], people: dict[str, User]) -> None:
    """Posts at every level above the demo member's cell, a reply with a mention, a
    relay, a party-wide and a public post, and a private conversation."""
    # Fresh rows: the seed's objects may carry a policy view from before their roles.
    people = {key: User.objects.get(pk=user.pk) for key, user in people.items()}
    national, federation = units["National"], units["Fédération du Rhône"]
    section, cell = units["Section de Lyon"], units["Cellule Lyon 1er"]
    secretary = people["cell_secretary"]
    mention = f"@{services.handle_for(secretary).name}"

    def post(author: str, body: str, audience: str, unit: Unit | None = None, **kw):
        return services.post_create(
            author=people[author],
            body=body,
            audience=audience,
            audience_unit=unit,
            unit=kw.get("posted_from"),
        )

    post(
        "national_secretary",
        "Bienvenue sur Maillage ! Toutes les publications nationales arrivent ici, "
        "dans chaque cellule. #bienvenue",
        Audience.PUBLIC,
        posted_from=national,  # the national unit's, not the author's home cell's
    )
    post(
        "national_secretary",
        "L'université d'été aura lieu du 21 au 23 août à Lyon. Inscriptions ouvertes "
        "auprès de vos fédérations. #universite2026",
        Audience.UNIT_TREE,
        national,
    )
    post(
        "federation_secretary",
        "Conseil fédéral samedi 10 h à la Bourse du travail. Chaque section y envoie "
        "deux délégués. #conseilfederal",
        Audience.UNIT_TREE,
        federation,
    )
    local = post(
        "section_secretary",
        "Tractage au marché de la Croix-Rousse dimanche matin : rendez-vous 9 h "
        "devant la mairie du 4e. Qui vient ? #tractage",
        Audience.UNIT_TREE,
        section,
    )
    meeting = post(
        "cell_secretary",
        "Réunion de cellule jeudi 19 h, salle Garibaldi. Ordre du jour : le budget "
        "participatif et la campagne d'adhésion.",
        Audience.UNIT,
        cell,
    )
    services.post_create(
        author=people["member"],
        body=f"J'y serai, et j'apporte les tracts. Merci {mention} pour tout !",
        parent=meeting,
    )
    services.post_create(
        author=people["member"], body="Présente pour dimanche !", parent=local
    )
    services.post_react(post=local, by=people["member"], kind=Reaction.Kind.FIST)
    post(
        "member",
        "Quelqu'un a le compte rendu de la dernière commission santé ? #sante",
        Audience.PARTY,
    )
    conversation = services.conversation_start(
        by=people["cell_secretary"],
        people=[people["member"]],
        body="Bonjour Camille, peux-tu tenir la table d'accueil jeudi ?",
    )
    services.message_send(
        conversation=conversation,
        by=people["member"],
        body="Avec plaisir, j'arriverai à 18 h 30.",
    )
