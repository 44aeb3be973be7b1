"""Demo agenda (seed_demo): the cell's weekly meeting, the section's training day,
the federation's demonstration, the national congress and a public evening, with
places on the map, answers and a reminder setting, so that a newcomer sees the
month view, events near them, live answers and the feeds with real-looking content."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from . import services
from .models import DEFAULT_TIMEZONE


def _at(days: int, hour: int, minute: int = 0) -> datetime:
    day = timezone.localdate() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), timezone.get_current_timezone())


def seed_agenda_demo(*, units: dict, cell, people: dict) -> None:
    """`units` by name (the demo tree), the member's cell, the named people."""
    weekday = (3 - timezone.localdate().weekday()) % 7 or 7  # next Thursday
    meeting = services.event_create(
        by=people["cell_secretary"],
        agenda=cell,
        title="Réunion de cellule",
        description="Ordre du jour : bilan du porte-à-porte, préparation du marché.",
        starts_at=_at(weekday, 19),
        ends_at=_at(weekday, 21),
        rrule="FREQ=WEEKLY;COUNT=12",
        place="Local de la cellule, 12 rue d'Algérie, Lyon 1er",
        latitude=Decimal("45.76760"),
        longitude=Decimal("4.83440"),
        timezone_name=DEFAULT_TIMEZONE,
    )
    evening = services.event_create(
        by=people["cell_secretary"],
        agenda=cell,
        title="Soirée débat : le logement à Lyon",
        kind="social",
        audience="public",
        starts_at=_at(9, 19, 30),
        ends_at=_at(9, 22),
        place="Café des Canuts, place Sathonay, Lyon 1er",
        latitude=Decimal("45.76930"),
        longitude=Decimal("4.83280"),
        capacity=40,
    )
    training = services.event_create(
        by=people["section_secretary"],
        agenda=units["Section de Lyon"],
        title="Journée de formation des nouveaux adhérents",
        kind="training",
        starts_at=_at(12, 9, 30),
        ends_at=_at(12, 17),
        place="Bourse du travail, Lyon 3e",
        latitude=Decimal("45.75780"),
        longitude=Decimal("4.84860"),
    )
    demonstration = services.event_create(
        by=people["federation_secretary"],
        agenda=units["Fédération du Rhône"],
        title="Manifestation pour les services publics",
        kind="demonstration",
        audience="public",
        starts_at=_at(16, 14),
        ends_at=_at(16, 17),
        place="Place Bellecour, Lyon 2e",
        latitude=Decimal("45.75780"),
        longitude=Decimal("4.83200"),
    )
    congress = services.event_create(
        by=people["national_secretary"],
        agenda=units["National"],
        title="Congrès national",
        kind="congress",
        audience="party",
        all_day=True,
        starts_at=_at(38, 0),
        ends_at=_at(39, 0),
        place="Parc des expositions, Paris 15e",
        latitude=Decimal("48.83200"),
        longitude=Decimal("2.28800"),
    )
    member = people["member"]
    services.rsvp_answer(event=meeting, user=member, answer="going")
    services.rsvp_answer(event=training, user=member, answer="going")
    services.rsvp_answer(event=demonstration, user=member, answer="maybe")
    services.rsvp_answer(event=congress, user=member, answer="going")
    services.rsvp_answer(event=evening, user=people["cell_secretary"], answer="going")
    services.reminder_preference_set(user=member, reminder="2h")
