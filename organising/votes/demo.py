"""Demo votes: a cell's motion, closed last week with its result, and a national
consultation open for two weeks with a few ballots already cast (the demo member
has not voted yet: they can try it)."""

from datetime import timedelta

from django.utils import timezone

from members.models import Membership

from . import services
from .models import Vote

MOTION_TEXT = (
    "La cellule organise une distribution de tracts sur le marché de la Croix-Rousse "
    "chaque samedi matin de novembre, pour la défense de la ligne de bus C9."
)
CONSULTATION_TEXT = (
    "Quelle doit être la priorité de notre campagne nationale de l’année prochaine ? "
    "Chaque adhérent est consulté ; les résultats seront lus dans chaque fédération, "
    "section et cellule."
)
PRIORITIES = [
    "Les services publics de proximité",
    "Le logement abordable",
    "La transition écologique et l’emploi",
    "La santé et l’hôpital public",
]


def _adherents(unit):
    return [
        m.user
        for m in Membership.objects.current()
        .filter(unit__path__startswith=unit.path, status="adherent")
        .select_related("user")
        .order_by("user_id")
    ]


def seed_votes_demo(*, national, cell, people: dict) -> None:
    now = timezone.now()
    motion = services.vote_create(
        by=people["cell_secretary"],
        title="Tractage sur le marché chaque samedi de novembre",
        text=MOTION_TEXT,
        kind=Vote.Kind.MOTION,
        unit=cell,
        opens_at=now,
        closes_at=now + timedelta(hours=1),
        quorum_percent=30,
    )
    motion = services.vote_open(vote=motion, by=people["cell_secretary"])
    for index, voter in enumerate(_adherents(cell)):
        if voter == people["member"]:
            continue
        services.ballot_cast(
            vote=motion, by=voter, choices=[[0, 0, 1, 0, 2][index % 5]]
        )
    services.vote_close(vote=motion, by=people["cell_secretary"])
    last_week = now - timedelta(days=7)
    Vote.objects.filter(pk=motion.pk).update(
        opens_at=last_week,
        opened_at=last_week,
        closes_at=last_week + timedelta(days=2),
        closed_at=last_week + timedelta(days=2),
    )
    consultation = services.vote_create(
        by=people["national_secretary"],
        title="Consultation nationale : la priorité de notre campagne",
        text=CONSULTATION_TEXT,
        kind=Vote.Kind.SINGLE,
        options=PRIORITIES,
        unit=national,
        opens_at=now,
        closes_at=now + timedelta(days=14),
        quorum_percent=25,
    )
    consultation = services.vote_open(
        vote=consultation, by=people["national_secretary"]
    )
    for index, voter in enumerate(_adherents(national)[:40]):
        if voter == people["member"]:
            continue
        services.ballot_cast(vote=consultation, by=voter, choices=[index * 7 % 4])
