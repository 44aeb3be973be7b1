"""Documents benchmark: a 200-page text (about 500 KB of Markdown) with 2,000
revisions, each saved through `services.document_save` (one paragraph changed).

    flock /tmp/maillage-bench.lock python bench/documents/run.py \
        [--database-url postgres://.../maillage_bench_documents] [--revisions 2000]

Prints (and saves to bench/out/results/documents.json):
- building: the 2,000 saves (median and p95 of one save of the 500 KB text);
- render: Markdown to sanitised HTML of the whole text (markdown-it-py, then bleach);
- read back: an old revision's text (snapshot + up to 49 deltas);
- diff: words added and removed between distant revisions (1 and the last; the
  middle and the last);
- storage: bytes the revisions take in PostgreSQL against storing every text whole;
- memory per open document: Python heap for one loaded document with its text and
  its rendered HTML (tracemalloc).
Goals (issue 15): a save < 100 ms, a diff of distant revisions < 500 ms.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import common  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/maillage_bench_documents"
WORDS = (
    "le",
    "la",
    "les",
    "un",
    "une",
    "des",
    "et",
    "de",
    "du",
    "pour",
    "contre",
    "avec",
    "sans",
    "travail",
    "salaire",
    "santé",
    "école",
    "transport",
    "logement",
    "retraite",
    "service",
    "public",
    "commune",
    "section",
    "fédération",
    "militant",
    "égalité",
    "justice",
    "climat",
    "énergie",
    "droit",
    "liberté",
    "solidarité",
    "quartier",
    "ville",
    "campagne",
)


def _text(rng: random.Random, size: int) -> str:
    parts, length, page = [], 0, 1
    while length < size:
        if len(parts) % 12 == 0:
            block = f"## Page {page}\n\n"
            page += 1
        else:
            block = " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 90)))
            block = block.capitalize() + ".\n\n"
        parts.append(block)
        length += len(block.encode())
    return "".join(parts)


def _figures(times: list[float]) -> dict:
    ordered = sorted(times)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 1),
        "n": len(ordered),
    }


def _timed(fn, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = common.arg_parser(__doc__.splitlines()[0])
    parser.set_defaults(database_url=DEFAULT_DB)
    parser.add_argument("--revisions", type=int, default=2000)
    parser.add_argument("--size", type=int, default=500_000)
    args = parser.parse_args()
    common.django_setup(args.database_url, args.redis_url)
    from django.core.management import call_command

    if not args.no_migrate:
        call_command("migrate", verbosity=0)
    from django.db import connection

    from federation.models import Level, Unit
    from members.models import User
    from organising.documents import services, textops
    from organising.documents.models import Document, Revision

    rng = random.Random(15)
    level = Level.objects.get_or_create(
        depth=1, defaults={"name": "National", "plural": "National", "slug": "nat"}
    )[0]
    unit = Unit.objects.filter(slug="bench-documents").first() or Unit.objects.add_root(
        {
            "level": level,
            "name": "Bench documents",
            "slug": "bench-documents",
            "uri": "http://bench/units/bench-documents",
        }
    )
    author = User.objects.filter(email="bench-documents@example.org").first()
    if author is None:
        author = User.objects.create_user(
            email="bench-documents@example.org", password=None, is_superuser=True
        )
    Document.objects.filter(unit=unit).delete()
    body = _text(rng, args.size)
    document = services.document_create(
        by=author, owner=unit, title="Texte de congrès", body=body
    )
    save_times = []
    base = 1
    built_at = time.perf_counter()
    for n in range(2, args.revisions + 1):
        paragraphs = body.split("\n\n")
        i = rng.randrange(len(paragraphs))
        words = paragraphs[i].split(" ")
        words.insert(rng.randrange(len(words)), rng.choice(WORDS))
        paragraphs[i] = " ".join(words)
        body = "\n\n".join(paragraphs)
        start = time.perf_counter()
        base = services.document_save(
            by=author,
            document=document,
            body=body,
            base_revision=base,
            summary=f"r{n}",
        ).base_number
        save_times.append(time.perf_counter() - start)
    build_s = time.perf_counter() - built_at
    document.refresh_from_db()
    last = document.revision_number
    render = _timed(lambda: textops.render_markdown(document.body), 3)
    index = _timed(lambda: services.document_index(document_id=document.pk), 3)
    # The revision furthest from its snapshot (49 deltas to apply).
    far = last - (last - 1) % 50 + 49 if last > 50 else last
    old = Revision.objects.get(document=document, number=min(far, last))
    read_back = _timed(lambda: services.revision_body(old), 10)
    diff_far = _timed(lambda: services.revisions_diff(document, 1, last), 3)
    diff_mid = _timed(lambda: services.revisions_diff(document, last // 2, last), 3)
    diff_near = _timed(lambda: services.revisions_diff(document, last - 1, last), 10)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sum(pg_column_size(snapshot)) + sum(pg_column_size(delta)) "
            "FROM documents_revision WHERE document_id = %s",
            [document.pk],
        )
        stored = cursor.fetchone()[0] or 0
    whole = sum(
        Revision.objects.filter(document=document).values_list("length", flat=True)
    )
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    loaded = Document.objects.get(pk=document.pk)
    html = services.rendered(loaded)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    memory = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    figures = {
        "text_kb": round(len(document.body.encode()) / 1024),
        "revisions": last,
        "build_s": round(build_s, 1),
        "save_500kb": _figures(save_times),
        "render_whole_text": _figures(render),
        "search_index_refresh (queued after a save)": _figures(index),
        "read_back_old_revision": _figures(read_back),
        "diff_r1_to_last": _figures(diff_far),
        "diff_middle_to_last": _figures(diff_mid),
        "diff_last_two": _figures(diff_near),
        "storage_mb": round(stored / 1e6, 2),
        "whole_texts_mb": round(whole / 1e6, 1),
        "memory_open_document_kb": round(memory / 1024),
        "rendered_html_kb": round(len(html.encode()) / 1024),
    }
    common.record("documents", figures)


if __name__ == "__main__":
    main()
