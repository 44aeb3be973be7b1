"""Build the deterministic French demo organisation and print its logins."""

import unicodedata

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from faker import Faker

from federation import demo, services
from federation.models import Group, GroupMembership, Level, Territory, Unit
from members.models import Membership, Role, User
from organising.agenda.demo import seed_agenda_demo
from organising.contacts.demo import seed_contacts_demo
from organising.documents.demo import seed_documents_demo
from organising.dues.demo import seed_dues_demo
from organising.messaging.demo import seed_messaging_demo
from organising.petitions.demo import seed_petitions_demo
from organising.votes.demo import seed_votes_demo

DEMO_PASSWORD = "maillage-demo-2026"
DEMO_DOMAIN = "demo.maillage.fr"
MEMBERS_PER_CELL = 11


def ascii_slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c if c.isalnum() else "." for c in text.lower()).strip(".")


class Command(BaseCommand):
    help = "Seed the demo organisation (refused with DEBUG off unless --force)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off."
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if units already exist."
        )

    def handle(self, *args, force: bool, if_empty: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError("DEBUG is off: this looks like production. Use --force.")
        if Unit.objects.exists():
            if if_empty:
                self.stdout.write("The organisation exists already; nothing seeded.")
                return
            raise CommandError("Units exist already: seed an empty database.")
        logins = self.seed()
        self.stdout.write(self.style.SUCCESS("Demo organisation ready."))
        self.stdout.write(f"Every demo account's password: {DEMO_PASSWORD}")
        for label, email in logins:
            self.stdout.write(f"  {label:<34} {email}")

    @transaction.atomic
    def seed(self) -> list[tuple[str, str]]:
        fake = Faker("fr_FR")
        fake.seed_instance(2026)
        password = make_password(DEMO_PASSWORD)
        levels = [
            Level.objects.create(depth=d, name=n, plural=p, slug=s)
            for d, n, p, s in demo.LEVELS
        ]
        national = services.unit_create_root(name="Parti — National", level=levels[0])
        units_by_name = {"National": national}
        cells: list[Unit] = []
        sections: list[Unit] = []
        for fed_name, section_map in demo.TREE.items():
            fed = self._child(national, fed_name, levels[1])
            units_by_name[fed_name] = fed
            for section_name, cell_specs in section_map.items():
                section = self._child(fed, section_name, levels[2])
                units_by_name[section_name] = section
                sections.append(section)
                for commune, postcode, insee in demo.SECTION_ONLY.get(section_name, []):
                    Territory.objects.create(
                        unit=section,
                        commune=commune,
                        postcode=postcode,
                        insee_code=insee,
                    )
                for commune, postcode, insee in cell_specs:
                    cell = self._child(section, f"Cellule {commune}", levels[3])
                    Territory.objects.create(
                        unit=cell, commune=commune, postcode=postcode, insee_code=insee
                    )
                    Territory.objects.create(
                        unit=section,
                        commune=commune,
                        postcode=postcode,
                        insee_code=insee,
                    )
                    cells.append(cell)

        people: list[User] = []

        def person(email: str, name: str, commune: str) -> User:
            user = User(
                email=email,
                display_name=name,
                commune=commune,
                phone=fake.phone_number(),
                password=password,
                shared_fields=["commune"],
            )
            people.append(user)
            return user

        named = {
            "member": person(f"membre@{DEMO_DOMAIN}", "Camille Martin", "Lyon"),
            "cell_secretary": person(
                f"secretaire.cellule@{DEMO_DOMAIN}", "Lucie Bernard", "Lyon"
            ),
            "cell_treasurer": person(
                f"tresorier.cellule@{DEMO_DOMAIN}", "Hugo Petit", "Lyon"
            ),
            "section_secretary": person(
                f"secretaire.section@{DEMO_DOMAIN}", "Inès Robert", "Lyon"
            ),
            "federation_secretary": person(
                f"secretaire.federation@{DEMO_DOMAIN}", "Karim Haddad", "Villeurbanne"
            ),
            "national_secretary": person(
                f"secretaire.national@{DEMO_DOMAIN}", "Nathalie Durand", "Paris"
            ),
            "national_treasurer": person(
                f"tresorier.national@{DEMO_DOMAIN}", "Paul Lefèvre", "Paris"
            ),
            "sympathiser": person(f"sympathisant@{DEMO_DOMAIN}", "Léa Moreau", "Lyon"),
        }
        generated: list[tuple[User, Unit]] = []
        for cell in cells:
            commune = cell.name.removeprefix("Cellule ")
            for _ in range(MEMBERS_PER_CELL):
                first, last = fake.first_name(), fake.last_name()
                local_part = f"{ascii_slug(first)}.{ascii_slug(last)}.{len(people)}"
                email = f"{local_part}@{DEMO_DOMAIN}"
                generated.append((person(email, f"{first} {last}", commune), cell))
        User.objects.bulk_create(people)
        EmailAddress.objects.bulk_create(
            EmailAddress(user=u, email=u.email, verified=True, primary=True)
            for u in people
        )

        first_cell = cells[0]
        memberships = [
            Membership(
                user=named[key], unit=first_cell, status=Membership.Status.ADHERENT
            )
            for key in (
                "member",
                "cell_secretary",
                "cell_treasurer",
                "section_secretary",
            )
        ]
        memberships += [
            Membership(
                user=named["federation_secretary"], unit=cells[3], status="adherent"
            ),
            Membership(
                user=named["national_secretary"], unit=cells[1], status="adherent"
            ),
            Membership(
                user=named["national_treasurer"], unit=cells[2], status="adherent"
            ),
            Membership(
                user=named["sympathiser"], unit=first_cell, status="sympathiser"
            ),
        ]
        adherents: list[tuple[User, Unit]] = []
        for index, (user, cell) in enumerate(generated):
            status = "sympathiser" if index % 10 == 9 else "adherent"
            memberships.append(Membership(user=user, unit=cell, status=status))
            if status == "adherent":
                adherents.append((user, cell))
        Membership.objects.bulk_create(memberships)

        roles = [
            Role(user=named["cell_secretary"], unit=first_cell, kind="secretary"),
            Role(user=named["cell_treasurer"], unit=first_cell, kind="treasurer"),
            Role(user=named["section_secretary"], unit=sections[0], kind="secretary"),
            Role(
                user=named["federation_secretary"],
                unit=units_by_name["Fédération du Rhône"],
                kind="secretary",
            ),
            Role(user=named["national_secretary"], unit=national, kind="secretary"),
            Role(user=named["national_treasurer"], unit=national, kind="treasurer"),
        ]
        # Every other unit gets a secretary and a treasurer among its own adherents
        # (an office counts only for an adherent).
        staffed = {(r.unit.pk, r.kind) for r in roles}
        pool = [user for user, _cell in adherents]
        for unit in Unit.objects.order_by("path"):
            local = [
                u for u, cell in adherents if cell.path.startswith(unit.path)
            ] or pool
            for offset, kind in enumerate(("secretary", "treasurer")):
                if (unit.pk, kind) not in staffed:
                    roles.append(Role(user=local[offset], unit=unit, kind=kind))
        Role.objects.bulk_create(roles)

        for unit_name, group_name, is_open in demo.GROUPS:
            unit = units_by_name[unit_name]
            group = Group.objects.create(
                unit=unit,
                name=group_name,
                slug=ascii_slug(group_name).replace(".", "-"),
                is_open=is_open,
                sympathisers_welcome=group_name.startswith("Sympathisants"),
            )
            GroupMembership.objects.create(
                group=group, user=named["national_secretary"], is_admin=True
            )
            GroupMembership.objects.create(group=group, user=named["member"])
            if group.sympathisers_welcome:
                GroupMembership.objects.create(group=group, user=named["sympathiser"])
        seed_dues_demo(
            national=national,
            national_treasurer=named["national_treasurer"],
            member=named["member"],
        )
        seed_messaging_demo(
            units={**units_by_name, "Cellule Lyon 1er": first_cell}, people=named
        )
        seed_contacts_demo(cell=first_cell, people=named)
        seed_documents_demo(units=units_by_name, people=named)
        seed_petitions_demo(section=sections[0], people=named)
        seed_votes_demo(national=national, cell=first_cell, people=named)
        seed_agenda_demo(units=units_by_name, cell=first_cell, people=named)
        logins = [
            ("Member (Cellule Lyon 1er)", named["member"].email),
            ("Cell secretary (Lyon 1er)", named["cell_secretary"].email),
            ("Cell treasurer (Lyon 1er)", named["cell_treasurer"].email),
            ("Section secretary (Lyon)", named["section_secretary"].email),
            ("Federation secretary (Rhône)", named["federation_secretary"].email),
            ("National secretary", named["national_secretary"].email),
            ("National treasurer", named["national_treasurer"].email),
            ("Sympathiser (Lyon 1er)", named["sympathiser"].email),
        ]
        return logins

    def _child(self, parent: Unit, name: str, level: Level) -> Unit:
        parent = Unit.objects.get(pk=parent.pk)
        return Unit.objects.add_child(
            parent, services._unit_fields(name=name, level=level)
        )
