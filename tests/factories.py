"""factory_boy factories for people and the tree. Units are made through treebeard."""

import factory
from django.conf import settings
from django.utils.text import slugify

from federation.models import Level, Unit
from members.models import Membership, Role, User

DEFAULT_LEVELS = [
    (0, "National", "National", "national"),
    (1, "Fédération", "Fédérations", "federation"),
    (2, "Section", "Sections", "section"),
    (3, "Cellule", "Cellules", "cell"),
]


def ensure_levels() -> list[Level]:
    return [
        Level.objects.get_or_create(
            depth=depth, defaults={"name": name, "plural": plural, "slug": slug}
        )[0]
        for depth, name, plural, slug in DEFAULT_LEVELS
    ]


_unit_seq = iter(range(1, 10**9))


def make_unit(name: str | None = None, parent: Unit | None = None) -> Unit:
    """A unit one level under `parent` (the national root without one)."""
    levels = ensure_levels()
    name = name or f"Unit {next(_unit_seq)}"
    slug = f"{slugify(name)}-{next(_unit_seq)}"
    fields = {"name": name, "slug": slug, "uri": f"{settings.SITE_URL}/units/{slug}/"}
    if parent is None:
        return Unit.objects.add_root({"level": levels[0], **fields})
    parent = Unit.objects.get(pk=parent.pk)
    return Unit.objects.add_child(parent, {"level": levels[parent.depth], **fields})


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    display_name = factory.Faker("name", locale="fr_FR")
    password = factory.django.Password("correct-horse-battery")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    status = Membership.Status.ADHERENT


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Role

    user = factory.SubFactory(UserFactory)
    kind = Role.Kind.SECRETARY
