"""Contacts benchmark: searching the contacts of a cell that keeps 50,000 of them
(among 50,000 more in other cells), as its secretary and as a member who follows
some of them up.

    python bench/contacts/search.py [--database-url postgres://.../maillage_bench_contacts]
                                    [--contacts 50000] [--quick]

Prints (and saves to bench/out/results/contacts.json), in-process on PostgreSQL (DEBUG
off), over N searches each with a different term: median and p95 of
- `selectors.contacts_search` (the policy filter, the search, one page of 50);
- the API list `/api/v1/contacts/?q=` through the Django test client (middleware,
  serializer, the audit row of the bulk read);
for a name fragment inside names (trigram index), a name prefix, phone digits, an
e-mail start, and the unfiltered first page; beside them a one-query baseline
(SELECT 1) measured in the same run, and the plan of a name search.
Goal (issue 16): contact search p95 < 50 ms.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import common  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/maillage_bench_contacts"
SECRETARY = "contacts-bench-secretary@example.org"
MEMBER = "contacts-bench-member@example.org"


def _build(count: int) -> dict:
    """A small tree, a secretary and a member in its first cell, `count` contacts in
    that cell (a fifth followed by the member) and as many in other cells. The same
    size again reuses them."""
    from django.conf import settings
    from django.db import transaction
    from faker import Faker

    from federation.models import Level, Unit
    from members.models import Membership, Role, User
    from organising.contacts.models import Contact
    from organising.contacts.services import index_search, normalise_tags

    secretary = User.objects.filter(email=SECRETARY).first()
    if secretary is not None and Contact.objects.count() == 2 * count:
        home = Membership.objects.current().get(user=secretary).unit
        return {
            "secretary": secretary,
            "member": User.objects.get(email=MEMBER),
            "home": home,
        }
    with transaction.atomic():
        Contact.objects.all().delete()
        Role.objects.all().delete()
        Membership.objects.all().delete()
        User.objects.filter(email__in=[SECRETARY, MEMBER]).delete()
        Unit.objects.all().delete()
        levels = [
            Level.objects.get_or_create(
                depth=d, defaults={"name": n, "plural": n, "slug": n}
            )[0]
            for d, n in enumerate(["National", "Fédération", "Section", "Cellule"])
        ]

        def unit(name, parent=None):
            slug = f"cbench-{name}".lower().replace(" ", "-")
            fields = {
                "name": name,
                "slug": slug,
                "uri": f"{settings.SITE_URL}/u/{slug}",
            }
            if parent is None:
                return Unit.add_root(level=levels[0], **fields)
            return parent.add_child(level=levels[parent.depth], **fields)

        national = unit("National")
        cells = []
        for f in range(2):
            fed = unit(f"Fed {f}", national)
            for s in range(2):
                section = unit(f"Section {f}-{s}", fed)
                cells += [unit(f"Cell {f}-{s}-{c}", section) for c in range(3)]
        home = cells[0]
        secretary = User.objects.create_user(SECRETARY, "x", display_name="Secrétaire")
        member = User.objects.create_user(MEMBER, "x", display_name="Membre")
        for user in (secretary, member):
            Membership.objects.create(user=user, unit=home, status="adherent")
        Role.objects.create(user=secretary, unit=home, kind="secretary")
        fake = Faker("fr_FR")
        fake.seed_instance(16)
        rng = random.Random(16)
        tags = ["marché", "logement", "porte-à-porte", "tram", "école", "retraités"]
        rows = []
        for n in range(2 * count):
            first, last = fake.first_name(), fake.last_name()
            contact = Contact(
                unit=home if n < count else rng.choice(cells[1:]),
                first_name=first,
                last_name=last,
                email=f"{first}.{last}.{n}@example.org".lower().replace(" ", ""),
                phone=f"+336{rng.randrange(10**8):08d}" if n % 2 else "",
                commune=rng.choice(
                    ["Lyon", "Villeurbanne", "Caluire", "Bron", "Vénissieux"]
                ),
                tags=normalise_tags(rng.sample(tags, rng.randint(0, 2))),
                follower=member if n < count and n % 5 == 0 else None,
            )
            index_search(contact)
            rows.append(contact)
        Contact.objects.bulk_create(rows, batch_size=5000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE contacts_contact")
    return {"secretary": secretary, "member": member, "home": home}


def _figures(samples: list[float]) -> dict:
    samples = sorted(samples)
    return {
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 2),
        "max_ms": round(samples[-1], 2),
        "n": len(samples),
    }


def _timed(call, terms) -> dict:
    out = []
    for term in terms:
        start = time.perf_counter()
        call(term)
        out.append((time.perf_counter() - start) * 1000)
    return _figures(out)


def main() -> None:
    parser = common.arg_parser(__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=50_000)
    parser.set_defaults(database_url=DEFAULT_DB)
    args = parser.parse_args()
    common.django_setup(args.database_url, args.redis_url)
    from django.core.management import call_command

    if not args.no_migrate:
        call_command("migrate", verbosity=0)
    from django.db import connection
    from django.test import Client

    from federation import access
    from organising.contacts import selectors
    from organising.contacts.models import Contact

    with common.timed() as built:
        world = _build(args.contacts)
    secretary, member = world["secretary"], world["member"]
    runs = 30 if args.quick else 200
    rng = random.Random(7)
    names = list(
        Contact.objects.filter(unit=world["home"]).values_list(
            "last_name", "first_name", "email", "phone"
        )[:5000]
    )
    sample = [rng.choice(names) for _ in range(runs)]

    def inside(last: str) -> str:  # 4 letters from the middle of a last name
        folded = last.lower()
        if len(folded) <= 4:
            return folded
        start = rng.randrange(0, len(folded) - 3)
        return folded[start : start + 4]

    kinds = {
        "name_inside": [inside(last) for last, *_ in sample],
        "name_prefix": [f"{first[:3]}".lower() for _l, first, *_ in sample],
        "phone_digits": [
            f"0{phone[3:9]}" for *_x, phone in (r for r in sample) if phone
        ]
        or ["0612"],
        "email_start": [email[:6] for _l, _f, email, _p in sample],
        "first_page": [""] * runs,
        # A term no contact holds: the worst case of a search walked in name order.
        "no_match": [f"zq{n:03d}x" for n in range(runs)],
    }

    def baseline(_term):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    figures: dict = {
        "contacts_in_unit": args.contacts,
        "contacts_total": Contact.objects.count(),
        "build_s": round(built.seconds, 1),
    }
    figures["baseline_select1"] = _timed(baseline, range(runs))
    for who, user in (("secretary", secretary), ("member", member)):
        access.forget_viewer(user)
        for kind, terms in kinds.items():
            selectors.contacts_search(user, query=terms[0])  # warm
            figures[f"selector.{who}.{kind}"] = _timed(
                lambda term, user=user: selectors.contacts_search(user, query=term),
                terms,
            )
    try:
        client = Client(SERVER_NAME="127.0.0.1")
        client.force_login(secretary)
        assert client.get("/api/v1/contacts/", {"q": "mar"}).status_code == 200
        for kind in ("name_inside", "phone_digits", "first_page", "no_match"):
            figures[f"api.secretary.{kind}"] = _timed(
                lambda term: client.get("/api/v1/contacts/", {"q": term}), kinds[kind]
            )
    except Exception as error:  # noqa: BLE001 - the project's URLs may be mid-change
        figures["api_error"] = repr(error)[:200]
    with connection.cursor() as cursor:
        qs = (
            Contact.objects.filter(access.contact_filter(secretary))
            .filter(search_text__contains="uber")
            .order_by("search_name", "pk")[:51]
        )
        sql, params = qs.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        figures["plan_name_inside"] = [row[0] for row in cursor.fetchall()]
    with open("/proc/loadavg") as load:
        figures["load_average"] = load.read().split()[:3]
    common.record("contacts", figures)
    for key, value in figures.items():
        if isinstance(value, dict):
            print(
                f"{key:<36} median {value['median_ms']:>7} ms"
                f"  p95 {value['p95_ms']:>7} ms  max {value['max_ms']:>7} ms"
                f"  (n={value['n']})"
            )
        elif key == "plan_name_inside":
            print("plan (name inside, secretary):")
            for line in value:
                print("   ", line)
        else:
            print(f"{key:<36} {value}")


if __name__ == "__main__":
    main()
