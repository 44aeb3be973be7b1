"""A large, deterministic organisation on PostgreSQL, for every benchmark.

    python bench/org.py \
        --database-url postgres://postgres@127.0.0.1:5432/maillage_bench \
        [--members 100000] [--federations 100] [--sections 10] [--cells 10] [--reset]

From a bench script (after `common.django_setup(...)`):

    from bench import org
    summary = org.build_org(members=100_000)   # built once, then reused

`build_org(*, federations=100, sections_per_federation=10, cells_per_section=10,
members=100_000, seed=1, reset=False, migrate=True) -> OrgSummary`

- runs the migrations, then builds 1 national unit, `federations` federations,
  `sections_per_federation` sections in each and `cells_per_section` cells in each
  section (treebeard paths computed here and COPYed, not add_child), 1 to 3 Territory
  rows (commune, postcode, INSEE code) per cell, `members` users with French names
  (Faker fr_FR pools, fixed seed), a verified primary e-mail address each (so that the
  allauth login works), one current membership each spread unevenly over the cells
  (about 88% adherents, 12% sympathisers; every cell has at least 2 members when
  members >= 2 x cells), and one secretary and one treasurer per unit (adherents of
  the unit's subtree, distinct people while there are enough);
- every account has the password `PASSWORD` ("bench-password"), hashed once;
  e-mail of user id N is `member_email(N)` ("m<N>@bench.maillage.example");
- ids are fixed by the seed and the sizes (units and users numbered from 1), so the same
  call gives the same ids; it is idempotent: when the database already holds the org
  built with the same parameters it returns its summary at once (`built=False`);
  with other parameters, or `reset=True`, it empties every table of the database
  (TRUNCATE ... CASCADE, also other benches' rows; the schema stays) and rebuilds.
  It refuses to empty a database whose name does not contain "bench".
  A PostgreSQL advisory lock serialises concurrent callers.

`OrgSummary` (a dataclass; also stored as JSON in the table bench_meta):
    national_id, federation_id, section_id, cell_id: one chain of units (the cell is
        a typical one: its size is the median cell size)
    cell_member_count: members in that cell
    sample_cell_ids: about ten cells spread over the tree (cell_id first)
    sample_members: {cell id: up to 20 ids of adherents holding no office}
    secretaries, treasurers: {"national"|"federation"|"section"|"cell": user id} for
        the chain above (secretaries["cell"] is the secretary of cell_id, etc.)
    counts: units, federations, sections, cells, territories, members, adherents,
        sympathisers, roles
    params, password, built (False when reused), seconds and phases (how long the
        build took, when it was built)
    member_email(user_id) -> str

Other helpers: `cell_member_ids(cell_id, *, limit=None, status=None) -> list[int]`,
`unit_ids(level) -> list[int]` (level "national", "federation", "section", "cell"),
`load_summary() -> OrgSummary | None`, `verify_org(summary) -> list[str]` (problems;
also `python bench/org.py --check`).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common  # noqa: E402

PASSWORD = "bench-password"
EMAIL_DOMAIN = "bench.maillage.example"
LEVELS = [
    (0, "National", "National", "national"),
    (1, "Fédération", "Fédérations", "federation"),
    (2, "Section", "Sections", "section"),
    (3, "Cellule", "Cellules", "cell"),
]
LEVEL_SLUGS = [slug for *_, slug in LEVELS]
ADHERENT_SHARE = 0.88
# Bump when the generator changes what it writes: a stored org of another version is
# rebuilt.
GENERATOR_VERSION = 2
LOCK_KEY = 0x6D61696C  # "mail"
KEEP_TABLES = {
    "django_migrations",
    "django_content_type",
    "auth_permission",
    "django_site",
}

DEPARTMENTS = [
    ("01", "Ain"), ("02", "Aisne"), ("03", "Allier"), ("04", "Alpes-de-Haute-Provence"),
    ("05", "Hautes-Alpes"), ("06", "Alpes-Maritimes"), ("07", "Ardèche"),
    ("08", "Ardennes"), ("09", "Ariège"), ("10", "Aube"), ("11", "Aude"),
    ("12", "Aveyron"), ("13", "Bouches-du-Rhône"), ("14", "Calvados"), ("15", "Cantal"),
    ("16", "Charente"), ("17", "Charente-Maritime"), ("18", "Cher"), ("19", "Corrèze"),
    ("2A", "Corse-du-Sud"), ("2B", "Haute-Corse"), ("21", "Côte-d'Or"),
    ("22", "Côtes-d'Armor"), ("23", "Creuse"), ("24", "Dordogne"), ("25", "Doubs"),
    ("26", "Drôme"), ("27", "Eure"), ("28", "Eure-et-Loir"), ("29", "Finistère"),
    ("30", "Gard"), ("31", "Haute-Garonne"), ("32", "Gers"), ("33", "Gironde"),
    ("34", "Hérault"), ("35", "Ille-et-Vilaine"), ("36", "Indre"),
    ("37", "Indre-et-Loire"), ("38", "Isère"), ("39", "Jura"), ("40", "Landes"),
    ("41", "Loir-et-Cher"), ("42", "Loire"), ("43", "Haute-Loire"),
    ("44", "Loire-Atlantique"), ("45", "Loiret"), ("46", "Lot"),
    ("47", "Lot-et-Garonne"),
    ("48", "Lozère"), ("49", "Maine-et-Loire"), ("50", "Manche"), ("51", "Marne"),
    ("52", "Haute-Marne"), ("53", "Mayenne"), ("54", "Meurthe-et-Moselle"),
    ("55", "Meuse"), ("56", "Morbihan"), ("57", "Moselle"), ("58", "Nièvre"),
    ("59", "Nord"), ("60", "Oise"), ("61", "Orne"), ("62", "Pas-de-Calais"),
    ("63", "Puy-de-Dôme"), ("64", "Pyrénées-Atlantiques"), ("65", "Hautes-Pyrénées"),
    ("66", "Pyrénées-Orientales"), ("67", "Bas-Rhin"), ("68", "Haut-Rhin"),
    ("69", "Rhône"), ("70", "Haute-Saône"), ("71", "Saône-et-Loire"), ("72", "Sarthe"),
    ("73", "Savoie"), ("74", "Haute-Savoie"), ("75", "Paris"), ("76", "Seine-Maritime"),
    ("77", "Seine-et-Marne"), ("78", "Yvelines"), ("79", "Deux-Sèvres"),
    ("80", "Somme"),
    ("81", "Tarn"), ("82", "Tarn-et-Garonne"), ("83", "Var"), ("84", "Vaucluse"),
    ("85", "Vendée"), ("86", "Vienne"), ("87", "Haute-Vienne"), ("88", "Vosges"),
    ("89", "Yonne"), ("90", "Territoire de Belfort"), ("91", "Essonne"),
    ("92", "Hauts-de-Seine"), ("93", "Seine-Saint-Denis"), ("94", "Val-de-Marne"),
    ("95", "Val-d'Oise"), ("971", "Guadeloupe"), ("972", "Martinique"),
    ("973", "Guyane"), ("974", "La Réunion"), ("976", "Mayotte"),
]  # fmt: skip


def member_email(user_id: int) -> str:
    return f"m{user_id}@{EMAIL_DOMAIN}"


@dataclass
class OrgSummary:
    national_id: int
    federation_id: int
    section_id: int
    cell_id: int
    cell_member_count: int
    sample_cell_ids: list[int]
    sample_members: dict[int, list[int]]
    secretaries: dict[str, int]
    treasurers: dict[str, int]
    counts: dict[str, int]
    params: dict[str, int]
    password: str = PASSWORD
    seconds: float = 0.0
    built: bool = False
    phases: dict[str, float] = field(default_factory=dict)

    @staticmethod
    def member_email(user_id: int) -> str:
        return member_email(user_id)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str | dict) -> OrgSummary:
        data = json.loads(raw) if isinstance(raw, str) else dict(raw)
        data["sample_members"] = {int(k): v for k, v in data["sample_members"].items()}
        return cls(**data)


# --------------------------------------------------------------------------- plan


@dataclass
class _Unit:
    id: int
    depth: int  # treebeard depth: 1 = national
    path: str
    numchild: int
    numbers: tuple[int, ...]  # (federation, section, cell) numbers, 1-based
    parent: int | None
    cells: range = range(0)  # indexes into Plan.cells of the unit's subtree


@dataclass
class _Plan:
    units: list[_Unit]
    cells: list[int]  # unit ids of the cells, in path order
    cell_members: list[list[int]]  # member ids per cell index
    adherent: list[bool]  # by user id (index 0 unused)
    roles: list[tuple[int, int, str]]  # (user id, unit id, kind)
    summary: OrgSummary


def _steps(count: int) -> int:
    return len(str(max(count, 1)))


def _plan(federations: int, sections: int, cells: int, members: int, seed: int):
    """Everything but names: the tree, who is in which cell, who holds which office."""
    from federation.models import Unit

    rng = random.Random(seed)
    units: list[_Unit] = []
    cell_ids: list[int] = []

    def add(depth, parent, step, numbers, numchild):
        parent_path = units[parent - 1].path if parent else ""
        path = Unit._get_path(parent_path or None, depth, step)
        unit = _Unit(len(units) + 1, depth, path, numchild, numbers, parent)
        units.append(unit)
        return unit

    national = add(1, None, 1, (), federations)
    for f in range(1, federations + 1):
        fed = add(2, national.id, f, (f,), sections)
        first_cell = len(cell_ids)
        for s in range(1, sections + 1):
            sec = add(3, fed.id, s, (f, s), cells)
            sec_first = len(cell_ids)
            for c in range(1, cells + 1):
                cell = add(4, sec.id, c, (f, s, c), 0)
                cell.cells = range(len(cell_ids), len(cell_ids) + 1)
                cell_ids.append(cell.id)
            sec.cells = range(sec_first, len(cell_ids))
        fed.cells = range(first_cell, len(cell_ids))
    national.cells = range(0, len(cell_ids))

    # Members per cell: uneven (log-normal weights), at least 2 when there are enough.
    n_cells = len(cell_ids)
    counts = [0] * n_cells
    if n_cells and members >= 2 * n_cells:
        counts = [2] * n_cells
        rest = members - 2 * n_cells
        weights = [rng.lognormvariate(0.0, 0.7) for _ in range(n_cells)]
        total = sum(weights)
        shares = [rest * w / total for w in weights]
        counts = [c + int(s) for c, s in zip(counts, shares, strict=True)]
        missing = members - sum(counts)
        by_fraction = sorted(
            range(n_cells), key=lambda i: shares[i] - int(shares[i]), reverse=True
        )
        for i in by_fraction[:missing]:
            counts[i] += 1
    elif n_cells:
        for i in range(members):
            counts[i * n_cells // members] += 1
    # User ids are shuffled over the cells, as in a real table filled over the years.
    ids = list(range(1, members + 1))
    rng.shuffle(ids)
    cell_members: list[list[int]] = []
    start = 0
    for count in counts:
        cell_members.append(ids[start : start + count])
        start += count
    adherent = [False] + [rng.random() < ADHERENT_SHARE for _ in range(members)]

    # Offices: cells first, then sections, federations, the national unit; each unit
    # takes the first two members of its subtree who hold no office yet.
    holders: set[int] = set()
    roles: list[tuple[int, int, str]] = []
    for depth in (4, 3, 2, 1):
        for unit in (u for u in units if u.depth == depth):
            chosen = _pick_holders(unit, cell_members, holders, members)
            for user_id, kind in zip(chosen, ("secretary", "treasurer"), strict=False):
                holders.add(user_id)
                adherent[user_id] = True
                roles.append((user_id, unit.id, kind))

    # A typical cell (median size) and its chain, and a spread sample of cells.
    median = sorted(counts)[n_cells // 2] if n_cells else 0
    busy = [sum(m in holders for m in ids) for ids in cell_members]
    cell_index = min(
        range(n_cells), key=lambda i: (abs(counts[i] - median), busy[i], i)
    )
    cell = units[cell_ids[cell_index] - 1]
    section = units[cell.parent - 1]
    federation = units[section.parent - 1]
    sample_idx = [cell_index] + [
        i for i in (k * n_cells // 10 for k in range(10)) if i != cell_index
    ]
    sample_cell_ids = [cell_ids[i] for i in sample_idx]
    sample_members = {
        cell_ids[i]: [m for m in cell_members[i] if adherent[m] and m not in holders][
            :20
        ]
        for i in sample_idx
    }
    chain = {
        "national": national.id,
        "federation": federation.id,
        "section": section.id,
        "cell": cell.id,
    }
    office = {(unit_id, kind): user_id for user_id, unit_id, kind in roles}
    n_adherents = sum(adherent[1:])
    summary = OrgSummary(
        national_id=national.id,
        federation_id=federation.id,
        section_id=section.id,
        cell_id=cell.id,
        cell_member_count=counts[cell_index],
        sample_cell_ids=sample_cell_ids,
        sample_members=sample_members,
        secretaries={
            k: office[(v, "secretary")]
            for k, v in chain.items()
            if (v, "secretary") in office
        },
        treasurers={
            k: office[(v, "treasurer")]
            for k, v in chain.items()
            if (v, "treasurer") in office
        },
        counts={
            "units": len(units),
            "federations": federations,
            "sections": federations * sections,
            "cells": n_cells,
            "members": members,
            "adherents": n_adherents,
            "sympathisers": members - n_adherents,
            "roles": len(roles),
        },
        params={},
    )
    return _Plan(units, cell_ids, cell_members, adherent, roles, summary)


def _pick_holders(unit, cell_members, holders, members) -> list[int]:
    chosen: list[int] = []
    for index in unit.cells:
        for user_id in cell_members[index]:
            if user_id not in holders:
                chosen.append(user_id)
                if len(chosen) == 2:
                    return chosen
    # Not enough free people in the subtree: accumulate offices, then look outside.
    pool = [m for i in unit.cells for m in cell_members[i]] or list(
        range(1, min(members, 2) + 1)
    )
    for user_id in pool:
        if len(chosen) == 2:
            break
        if user_id not in chosen:
            chosen.append(user_id)
    return chosen


# --------------------------------------------------------------------------- build


def _copy(cursor, model, columns: list[str], rows) -> int:
    """COPY rows into the model's table. Non-null columns not given get their model
    default (so that a field added later does not break the generator)."""
    from django.db import connection
    from django.db.models import NOT_PROVIDED
    from django.utils import timezone

    extra_cols, extra_vals = [], []
    for f in model._meta.concrete_fields:
        if f.column in columns or f.primary_key or f.null:
            continue
        if getattr(f, "db_default", NOT_PROVIDED) is not NOT_PROVIDED:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            value = timezone.now()
        elif f.has_default():
            if f.unique:
                raise common.BenchError(f"{model.__name__}.{f.name}: unique, no value")
            value = f.get_default()
        elif f.empty_strings_allowed and f.blank:
            value = ""
        else:
            raise common.BenchError(
                f"bench/org.py gives no value to {model.__name__}.{f.name}"
            )
        extra_cols.append(f.column)
        extra_vals.append(f.get_db_prep_save(value, connection))
    table = model._meta.db_table
    cols = ", ".join(f'"{c}"' for c in [*columns, *extra_cols])
    extra = tuple(extra_vals)
    n = 0
    with cursor.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row + extra if extra else row)
            n += 1
    return n


def _name_pools(seed: int):
    from faker import Faker

    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    first = sorted({fake.first_name() for _ in range(4000)})
    last = sorted({fake.last_name() for _ in range(4000)})
    cities = sorted({fake.city() for _ in range(6000)})
    return first, last, cities


def _postcode(dept: str, n: int) -> str:
    prefix = "20" if dept in ("2A", "2B") else dept
    width = 5 - len(prefix)
    return f"{prefix}{n % 10**width:0{width}d}"


def _insee(dept: str, n: int) -> str:
    width = 5 - len(dept)
    return f"{dept}{n % 10**width:0{width}d}"


def _truncate_all(cursor) -> None:
    cursor.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    )
    tables = [t for (t,) in cursor.fetchall() if t not in KEEP_TABLES]
    if tables:
        names = ", ".join(f'"{t}"' for t in tables)
        # The ledger refuses TRUNCATE (dues migration 0009) but from a connection that
        # says so: a bench database is rebuilt from nothing.
        cursor.execute("SET dues.allow_truncate = on")
        cursor.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")


def _database_name() -> str:
    from django.db import connection

    return str(connection.settings_dict["NAME"])


def load_summary() -> OrgSummary | None:
    """The summary of the org in the database, None when there is none."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value jsonb)"
        )
        cur.execute("SELECT value FROM bench_meta WHERE key = 'org'")
        row = cur.fetchone()
    if row is None:
        return None
    value = row[0]
    return OrgSummary.from_json(value if isinstance(value, (str, dict)) else str(value))


def build_org(
    *,
    federations: int = 100,
    sections_per_federation: int = 10,
    cells_per_section: int = 10,
    members: int = 100_000,
    seed: int = 1,
    reset: bool = False,
    migrate: bool = True,
    verbose: bool = False,
) -> OrgSummary:
    """Build (or reuse) the bench organisation; see the module docstring."""
    from django.core.management import call_command
    from django.db import connection, transaction

    params = {
        "federations": federations,
        "sections_per_federation": sections_per_federation,
        "cells_per_section": cells_per_section,
        "members": members,
        "seed": seed,
        "version": GENERATOR_VERSION,
    }
    phases: dict[str, float] = {}
    started = time.perf_counter()

    def lap(name: str) -> None:
        phases[name] = round(time.perf_counter() - started - sum(phases.values()), 3)
        if verbose:
            print(f"  {name:<14} {phases[name]:7.2f} s", flush=True)

    if migrate:
        call_command("migrate", verbosity=0, interactive=False)
        lap("migrate")
    from federation.models import Unit

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        existing = load_summary()
        if (
            existing is not None
            and not reset
            and existing.params == params
            and Unit.objects.count() == existing.counts["units"]
        ):
            existing.built = False
            return existing
        if "bench" not in _database_name():
            raise common.BenchError(
                f"Refusing to empty database {_database_name()!r}: "
                "its name has no 'bench'"
            )
        _truncate_all(cur)
        lap("truncate")
        plan = _plan(
            federations, sections_per_federation, cells_per_section, members, seed
        )
        lap("plan")
        _write(cur.cursor, plan, seed)
        lap("copy")
        summary = plan.summary
        summary.params = params
        summary.counts["territories"] = _count(cur, "federation_territory")
        summary.built = True
        cur.execute(
            "INSERT INTO bench_meta (key, value) VALUES ('org', %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            [summary.to_json()],
        )
    with connection.cursor() as cur:
        for table in (
            "federation_unit",
            "federation_territory",
            "members_user",
            "account_emailaddress",
            "members_membership",
            "members_role",
        ):
            cur.execute(f'ANALYZE "{table}"')
    lap("analyze")
    summary.seconds = round(time.perf_counter() - started, 2)
    summary.phases = phases
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE bench_meta SET value = %s WHERE key = 'org'", [summary.to_json()]
        )
    return summary


def _count(cur, table: str) -> int:
    cur.execute(f'SELECT count(*) FROM "{table}"')
    return cur.fetchone()[0]


def _write(cur, plan: _Plan, seed: int) -> None:
    """COPY the plan into the tables (cur is a psycopg cursor)."""
    from allauth.account.models import EmailAddress
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from federation.models import Level, Territory, Unit
    from members.models import Membership, Role, User

    rng = random.Random(seed * 7919 + 1)
    first_names, last_names, cities = _name_pools(seed)
    levels = {
        depth: Level.objects.create(depth=depth, name=name, plural=plural, slug=slug)
        for depth, name, plural, slug in LEVELS
    }
    now = timezone.now()
    site = settings.SITE_URL

    # Units and their territory.
    fed_width = _steps(plan.units[0].numchild)
    sec_width = _steps(plan.units[1].numchild if len(plan.units) > 1 else 1)
    cell_width = _steps(plan.units[2].numchild if len(plan.units) > 2 else 1)
    unit_rows, territory_rows, cell_commune = [], [], {}
    territory_id = 0
    for unit in plan.units:
        numbers = unit.numbers
        if unit.depth == 1:
            name, slug = "National", "national"
        else:
            dept, dept_name = DEPARTMENTS[(numbers[0] - 1) % len(DEPARTMENTS)]
            f = f"{numbers[0]:0{fed_width}d}"
            if unit.depth == 2:
                cycle = (numbers[0] - 1) // len(DEPARTMENTS)
                label = dept_name + (f" {cycle + 1}" if cycle else "")
                name, slug = f"Fédération {f} — {label}", f"federation-{f}"
            else:
                s = f"{numbers[1]:0{sec_width}d}"
                city = cities[rng.randrange(len(cities))]
                if unit.depth == 3:
                    name, slug = f"Section {f}.{s} — {city}", f"section-{f}-{s}"
                else:
                    c = f"{numbers[2]:0{cell_width}d}"
                    name, slug = f"Cellule {f}.{s}.{c} — {city}", f"cellule-{f}-{s}-{c}"
                    # One to three communes per cell, the first gives its name.
                    base = (numbers[1] - 1) * 100 + (numbers[2] - 1) * 3
                    communes = [city] + rng.sample(cities, rng.choice((0, 0, 1, 2)))
                    for k, commune in enumerate(dict.fromkeys(communes)):
                        territory_id += 1
                        territory_rows.append(
                            (
                                territory_id,
                                unit.id,
                                commune,
                                _postcode(dept, base + k),
                                _insee(dept, base + k),
                            )
                        )
                    cell_commune[unit.id] = city
        unit_rows.append(
            (
                unit.id,
                unit.path,
                unit.depth,
                unit.numchild,
                levels[unit.depth - 1].id,
                name,
                slug,
                uuid.UUID(int=rng.getrandbits(128), version=4),
                f"{site}/units/{slug}/",
                "Organisation de banc d'essai (bench/org.py)."
                if unit.depth == 1
                else "",
                now,
            )
        )
    _copy(
        cur,
        Unit,
        [
            "id",
            "path",
            "depth",
            "numchild",
            "level_id",
            "name",
            "slug",
            "public_id",
            "uri",
            "description",
            "created_at",
        ],
        unit_rows,
    )
    _copy(
        cur,
        Territory,
        ["id", "unit_id", "commune", "postcode", "insee_code"],
        territory_rows,
    )

    # People: one password hash for all.
    password = make_password(PASSWORD)
    members = plan.summary.counts["members"]
    cell_of = [0] * (members + 1)
    for index, ids in enumerate(plan.cell_members):
        for user_id in ids:
            cell_of[user_id] = plan.cells[index]
    epoch = dt.date(2012, 1, 1)
    span = (dt.date(2026, 6, 30) - epoch).days
    tz = dt.UTC
    user_rows, email_rows, membership_rows, started = [], [], [], [None] * (members + 1)
    n_first, n_last = len(first_names), len(last_names)
    getrandbits, randrange = rng.getrandbits, rng.randrange
    for user_id in range(1, members + 1):
        day = epoch + dt.timedelta(days=randrange(span))
        started[user_id] = day
        joined = dt.datetime(day.year, day.month, day.day, 9 + randrange(12), tzinfo=tz)
        email = member_email(user_id)
        unit_id = cell_of[user_id]
        user_rows.append(
            (
                user_id,
                password,
                False,
                email,
                f"{first_names[randrange(n_first)]} {last_names[randrange(n_last)]}",
                cell_commune.get(unit_id, ""),
                f"06 {randrange(100):02d} {randrange(100):02d} {randrange(100):02d} "
                f"{randrange(100):02d}",
                "",
                "",
                "[]",
                uuid.UUID(int=getrandbits(128), version=4),
                True,
                False,
                joined,
                f"{getrandbits(128):032x}",
            )
        )
        email_rows.append((user_id, user_id, email, True, True))
        if unit_id:
            membership_rows.append(
                (
                    user_id,
                    user_id,
                    unit_id,
                    "adherent" if plan.adherent[user_id] else "sympathiser",
                    day,
                    "",
                    joined,
                )
            )
    _copy(
        cur,
        User,
        [
            "id",
            "password",
            "is_superuser",
            "email",
            "display_name",
            "commune",
            "phone",
            "avatar",
            "bio",
            "shared_fields",
            "public_id",
            "is_active",
            "is_staff",
            "date_joined",
            "security_stamp",
        ],
        user_rows,
    )
    del user_rows
    _copy(
        cur, EmailAddress, ["id", "user_id", "email", "verified", "primary"], email_rows
    )
    del email_rows
    _copy(
        cur,
        Membership,
        [
            "id",
            "user_id",
            "unit_id",
            "status",
            "started_on",
            "end_reason",
            "created_at",
        ],
        membership_rows,
    )
    del membership_rows
    role_rows = [
        (i, user_id, unit_id, kind, started[user_id])
        for i, (user_id, unit_id, kind) in enumerate(plan.roles, start=1)
    ]
    _copy(cur, Role, ["id", "user_id", "unit_id", "kind", "started_on"], role_rows)

    for model in (Unit, Territory, User, EmailAddress, Membership, Role):
        table = model._meta.db_table
        cur.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
            f'COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) FROM "{table}"'
        )


# --------------------------------------------------------------------------- queries


def cell_member_ids(
    cell_id: int, *, limit: int | None = None, status: str | None = None
) -> list[int]:
    """Ids of the current members of a cell (optionally only adherents/sympathisers)."""
    from members.models import Membership

    qs = Membership.objects.current().filter(unit_id=cell_id)
    if status:
        qs = qs.filter(status=status)
    ids = qs.order_by("user_id").values_list("user_id", flat=True)
    return list(ids[:limit] if limit else ids)


def unit_ids(level: str) -> list[int]:
    """Ids of every unit of a level ("national", "federation", "section", "cell")."""
    from federation.models import Unit

    depth = LEVEL_SLUGS.index(level) + 1
    return list(
        Unit.objects.filter(depth=depth).order_by("path").values_list("pk", flat=True)
    )


def verify_org(summary: OrgSummary) -> list[str]:
    """Problems of the org in the database (an empty list when it is sound): the
    treebeard tree (paths, depths, numchild), the counts, one secretary and one
    treasurer per unit, one current membership per member, verified e-mails."""
    from allauth.account.models import EmailAddress
    from django.db.models import Count

    from federation.models import Unit
    from members.models import Membership, Role, User

    problems: list[str] = []
    names = ("bad alphabet", "bad path", "orphans", "wrong depth", "wrong numchild")
    for name, ids in zip(names, Unit.objects.find_problems(), strict=True):
        if ids:
            problems.append(f"treebeard {name}: {len(ids)} units, e.g. {ids[:5]}")
    expected = summary.counts
    actual = {
        "units": Unit.objects.count(),
        "cells": Unit.objects.filter(depth=4).count(),
        "members": User.objects.count(),
        "roles": Role.objects.filter(ended_on__isnull=True).count(),
    }
    for key, value in actual.items():
        if value != expected[key]:
            problems.append(f"{key}: {value} in the database, {expected[key]} expected")
    if expected["members"] >= 2:
        per_unit = Role.objects.values("unit_id").annotate(n=Count("id"))
        if per_unit.filter(n=2).count() != actual["units"]:
            problems.append("some unit lacks its secretary or treasurer")
    current = Membership.objects.current().count()
    if current != expected["members"]:
        problems.append(f"{current} current memberships for {expected['members']}")
    if Membership.objects.current().exclude(unit__depth=4).exists():
        problems.append("a membership is not in a cell")
    verified = EmailAddress.objects.filter(verified=True, primary=True).count()
    if verified != expected["members"]:
        problems.append(f"{verified} verified primary e-mails")
    return problems


# --------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    parser = common.arg_parser("Build the bench organisation (idempotent).")
    parser.add_argument("--federations", type=int, default=100)
    parser.add_argument("--sections", type=int, default=10, help="per federation")
    parser.add_argument("--cells", type=int, default=10, help="per section")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reset", action="store_true", help="rebuild even if present")
    parser.add_argument(
        "--check", action="store_true", help="verify the org in the database"
    )
    args = parser.parse_args(argv)
    common.django_setup(args.database_url, args.redis_url)
    summary = build_org(
        federations=args.federations,
        sections_per_federation=args.sections,
        cells_per_section=args.cells,
        members=args.members,
        seed=args.seed,
        reset=args.reset,
        migrate=not args.no_migrate,
        verbose=True,
    )
    state = f"built in {summary.seconds:.1f} s" if summary.built else "already there"
    order = ["units", "federations", "sections", "cells", "territories", "members"]
    order += ["adherents", "sympathisers", "roles"]
    counts = ", ".join(f"{summary.counts[k]} {k}" for k in order if k in summary.counts)
    print(f"Organisation {state}: {counts}")
    print(
        f"Chain: national {summary.national_id} > federation {summary.federation_id} > "
        f"section {summary.section_id} > cell {summary.cell_id} "
        f"({summary.cell_member_count} members)"
    )
    print(f"Secretaries {summary.secretaries}; treasurers {summary.treasurers}")
    print(f"Login: {member_email(summary.secretaries.get('cell', 1))} / {PASSWORD}")
    if args.check:
        problems = verify_org(summary)
        print("Check: " + ("; ".join(problems) if problems else "the org is sound"))
        if problems:
            return 1
    if summary.built:
        common.record(
            "org.build",
            {
                "seconds": summary.seconds,
                "phases": summary.phases,
                "counts": summary.counts,
                "params": summary.params,
            },
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
