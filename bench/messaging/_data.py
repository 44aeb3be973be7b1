"""Posts and follows for the messaging benchmarks, on top of bench/org.py's org.

    from bench.messaging import _data
    info = _data.build_posts(summary, posts=1_000_000, days=90)   # once, then reused

Writes, with COPY and fixed ids (deterministic for a seed and the sizes):

- `posts` posts over the last `days` days, ids in time order: 85% published in cells
  by their adherents (audiences: 60% the cell only, 20% the cell and below, 15% the
  whole party, 5% public), 6% in sections, 3% in federations and 0.5% at the national
  level (by the unit's secretary, "unit and below"), the rest (5.5%) replies to
  recent cell posts (same audience, reply counts kept right); one post in ten has a
  hashtag among 200;
- follows between adherents: each follows a log-normal number of others (median 50,
  at most 2,000), picked with Zipf-like popularity (exponent 0.7), so that the most
  followed members have 10,000 followers or more.

Idempotent: the parameters are stored in bench_meta ('messaging'); with the same
parameters and the rows still there, nothing is written.
"""

from __future__ import annotations

import bisect
import datetime as dt
import html
import json
import random
import time
from dataclasses import asdict, dataclass

VERSION = 1
WORDS = (  # noqa: SIM905 - prose is easier to read than a list literal
    "réunion tractage marché mairie pétition grève école santé logement transport "
    "assemblée vote motion fédération section cellule quartier samedi dimanche "
    "affiches meeting solidarité retraites salaires hôpital climat énergie eau "
    "collecte bénévoles covoiturage salle heure rendez-vous compte-rendu budget"
).split()


@dataclass
class PostsInfo:
    posts: int
    roots: int
    replies: int
    follows: int
    per_level: dict
    top_followed: list  # [(user id, followers)] of the five most followed
    median_following: int
    seconds: float
    built: bool
    params: dict


def _sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(6, 30))
    return (" ".join(words)).capitalize() + "."


def _copy(cur, table: str, columns: list[str], rows) -> int:
    n = 0
    cols = ", ".join(f'"{c}"' for c in columns)
    with cur.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def load_info() -> PostsInfo | None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass('bench_meta')")
        if cur.fetchone()[0] is None:
            return None
        cur.execute("SELECT value FROM bench_meta WHERE key = 'messaging'")
        row = cur.fetchone()
    if row is None:
        return None
    data = row[0] if isinstance(row[0], dict) else json.loads(row[0])
    return PostsInfo(**data)


def build_posts(
    summary, *, posts: int = 1_000_000, days: int = 90, seed: int = 7, verbose=False
) -> PostsInfo:
    """Build (or reuse) the posts and follows; see the module docstring."""
    from django.db import connection, transaction

    from members.models import Membership, Role
    from organising.messaging.models import Post, Relation

    params = {
        "posts": posts,
        "days": days,
        "seed": seed,
        "version": VERSION,
        "org": summary.params,
    }
    existing = load_info()
    if (
        existing is not None
        and existing.params == params
        # Other benches add posts and follows after the generated ones: count ours.
        and Post.objects.filter(pk__lte=existing.posts).count() == existing.posts
        and Relation.objects.count() >= existing.follows
    ):
        existing.built = False
        return existing
    started = time.perf_counter()
    rng = random.Random(seed)

    def say(message: str) -> None:
        if verbose:
            print(f"  {message} ({time.perf_counter() - started:.1f} s)", flush=True)

    adherents_by_cell: dict[int, list[int]] = {}
    for user_id, unit_id in (
        Membership.objects.current()
        .filter(status=Membership.Status.ADHERENT)
        .values_list("user_id", "unit_id")
        .iterator(chunk_size=20_000)
    ):
        adherents_by_cell.setdefault(unit_id, []).append(user_id)
    cells = sorted(adherents_by_cell)
    secretaries = dict(
        Role.objects.filter(
            kind=Role.Kind.SECRETARY, ended_on__isnull=True
        ).values_list("unit_id", "user_id")
    )
    from federation.models import Unit

    units_by_depth: dict[int, list[int]] = {}
    for pk, depth in Unit.objects.values_list("pk", "depth"):
        units_by_depth.setdefault(depth, []).append(pk)
    say("org loaded")

    now = dt.datetime.now(dt.UTC)
    start = now - dt.timedelta(days=days)
    span = (now - start).total_seconds()
    n_replies = int(posts * 0.055)
    shares = [
        (4, 0.85 / 0.945),
        (3, 0.06 / 0.945),
        (2, 0.03 / 0.945),
        (1, 0.005 / 0.945),
    ]
    times = sorted(rng.random() * span for _ in range(posts))
    reply_slots = set(rng.sample(range(posts // 20, posts), n_replies))
    sentences = [_sentence(rng) for _ in range(2000)]
    tags = [f"sujet{n}" for n in range(200)]
    cum_levels = []
    total = 0.0
    for depth, share in shares:
        total += share
        cum_levels.append((total, depth))
    audiences = [("unit", 0.60), ("unit_tree", 0.80), ("party", 0.95), ("public", 1.0)]

    rows = []
    recent_cell_posts: list[tuple] = []  # (id, author cell, audience, unit id)
    reply_counts: dict[int, int] = {}
    per_level = {"cell": 0, "section": 0, "federation": 0, "national": 0, "reply": 0}
    level_names = {4: "cell", 3: "section", 2: "federation", 1: "national"}
    first_id = 1
    for index in range(posts):
        pk = first_id + index
        created = start + dt.timedelta(seconds=times[index])
        body = rng.choice(sentences)
        if rng.random() < 0.1:
            body += f" #{rng.choice(tags)}"
        if index in reply_slots and recent_cell_posts:
            parent_id, cell, audience, audience_unit = recent_cell_posts[
                rng.randrange(
                    max(0, len(recent_cell_posts) - 500), len(recent_cell_posts)
                )
            ]
            author = rng.choice(adherents_by_cell[cell])
            reply_counts[parent_id] = reply_counts.get(parent_id, 0) + 1
            per_level["reply"] += 1
            rows.append(
                (pk, "post", author, cell, audience, audience_unit, body, parent_id,
                 parent_id, created)
            )  # fmt: skip
            continue
        r = rng.random()
        depth = next(d for threshold, d in cum_levels if r <= threshold)
        if depth == 4:
            cell = cells[rng.randrange(len(cells))]
            author = rng.choice(adherents_by_cell[cell])
            a = rng.random()
            audience = next(name for name, threshold in audiences if a <= threshold)
            audience_unit = cell if audience in ("unit", "unit_tree") else None
            rows.append(
                (
                    pk,
                    "post",
                    author,
                    cell,
                    audience,
                    audience_unit,
                    body,
                    None,
                    pk,
                    created,
                )
            )
            recent_cell_posts.append((pk, cell, audience, audience_unit))
        else:
            unit = rng.choice(units_by_depth[depth])
            author = secretaries[unit]
            rows.append(
                (pk, "post", author, unit, "unit_tree", unit, body, None, pk, created)
            )
        per_level[level_names[depth]] += 1
    say(f"{len(rows)} posts planned")

    adherents = [uid for cell in cells for uid in adherents_by_cell[cell]]
    popularity = adherents[:]
    rng.shuffle(popularity)
    cum_weights = []
    acc = 0.0
    for rank in range(1, len(popularity) + 1):
        acc += rank**-0.7
        cum_weights.append(acc)
    follows_rows = []
    following_counts = []
    follower_counts: dict[int, int] = {}
    for owner in adherents:
        count = min(2000, max(1, int(rng.lognormvariate(3.912, 0.8))))  # e^3.912 = 50
        chosen: set[int] = set()
        attempts = 0
        while len(chosen) < count and attempts < count * 3:
            attempts += 1
            target = popularity[bisect.bisect_left(cum_weights, rng.random() * acc)]
            if target != owner:
                chosen.add(target)
        following_counts.append(len(chosen))
        for target in chosen:
            follower_counts[target] = follower_counts.get(target, 0) + 1
            follows_rows.append((owner, target, "follow", now))
    say(f"{len(follows_rows)} follows planned")

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute('TRUNCATE "messaging_post", "messaging_relation" CASCADE')
        post_cols = [
            "id", "kind", "author_id", "unit_id", "audience", "audience_unit_id",
            "body", "parent_id", "root_id", "created", "body_html", "reply_count",
            "hidden_reason",
        ]  # fmt: skip
        _copy(
            cur.cursor,
            "messaging_post",
            post_cols,
            (
                (*row, html.escape(row[6]), reply_counts.get(row[0], 0), "")
                for row in rows
            ),
        )
        say("posts copied")
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('messaging_post', 'id'), %s)",
            [first_id + posts],
        )
        _copy(
            cur.cursor,
            "messaging_relation",
            ["owner_id", "target_id", "kind", "created"],
            follows_rows,
        )
        say("follows copied")
    with connection.cursor() as cur:
        cur.execute('ANALYZE "messaging_post"')
        cur.execute('ANALYZE "messaging_relation"')
    say("analyzed")
    following_counts.sort()
    top = sorted(follower_counts.items(), key=lambda item: -item[1])[:5]
    info = PostsInfo(
        posts=posts,
        roots=posts - per_level["reply"],
        replies=per_level["reply"],
        follows=len(follows_rows),
        per_level=per_level,
        top_followed=[list(item) for item in top],
        median_following=following_counts[len(following_counts) // 2],
        seconds=round(time.perf_counter() - started, 1),
        built=True,
        params=params,
    )
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO bench_meta (key, value) VALUES ('messaging', %s) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            [json.dumps(asdict(info))],
        )
    return info
