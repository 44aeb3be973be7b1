"""Run every benchmark against one bench database and print their figures.

    python bench/run.py [--members 100000] [--quick] [--only foundation,messaging]
                        [--database-url ...] [--redis-url ...] [--no-migrate]

(`make bench` runs it with the defaults.) Steps: build or reuse the organisation
(bench/org.py), then run bench/foundation.py, bench/messaging/*.py and bench/dues/*.py,
each as a subprocess with the same options. A script there is any `.py` file whose
name does not start with "_" and that has an `if __name__ == "__main__":` block
(generate*.py first, then by name); it
accepts the options of `bench.common.arg_parser` and saves its figures with
`bench.common.record()`. At the end the figures each script recorded in this run are
printed again together. Exit status 1 if a script failed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common  # noqa: E402

GROUPS = ["foundation", "messaging", "dues"]


def scripts(only: set[str] | None) -> list[tuple[str, Path]]:
    bench = common.REPO / "bench"
    found: list[tuple[str, Path]] = []
    for group in GROUPS:
        if only and group not in only:
            continue
        if group == "foundation":
            candidates = [bench / "foundation.py"]
        else:
            # Data generators (generate*.py) first, then the rest by name.
            candidates = sorted(
                (bench / group).glob("*.py"),
                key=lambda p: (not p.name.startswith("generate"), p.name),
            )
        for path in candidates:
            if path.name.startswith("_") or not path.is_file():
                continue
            if '__name__ == "__main__"' not in path.read_text(errors="replace"):
                continue
            found.append((group, path))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = common.arg_parser("Run every Maillage benchmark.")
    parser.add_argument(
        "--only", default="", help="comma-separated groups: " + ",".join(GROUPS)
    )
    parser.add_argument(
        "--timeout", type=int, default=1800, help="seconds allowed to each script"
    )
    args = parser.parse_args(argv)
    only = {g.strip() for g in args.only.split(",") if g.strip()} or None
    shared = [
        "--database-url",
        args.database_url,
        "--redis-url",
        args.redis_url,
        "--members",
        str(args.members),
    ]
    if args.quick:
        shared.append("--quick")
    if args.no_migrate:
        shared.append("--no-migrate")
    env = {**os.environ, "PYTHONPATH": str(common.REPO)}
    started = time.time()
    failures: list[str] = []

    steps = [("org", common.REPO / "bench" / "org.py"), *scripts(only)]
    for group, path in steps:
        name = path.relative_to(common.REPO)
        print(f"\n### {name}", flush=True)
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(
                [sys.executable, str(path), *shared],
                cwd=common.REPO,
                env=env,
                timeout=args.timeout,
            )
            ok = proc.returncode == 0
        except subprocess.TimeoutExpired:
            ok = False
        seconds = time.perf_counter() - t0
        print(f"### {name}: {'ok' if ok else 'FAILED'} in {seconds:.0f} s", flush=True)
        if not ok:
            failures.append(str(name))
            if group == "org":
                break

    print("\n################ figures of this run")
    for result in sorted(common.RESULTS_DIR.glob("*.json")):
        if result.stat().st_mtime < started:
            continue
        figures = json.loads(result.read_text())
        name = figures.pop("bench", result.stem)
        figures.pop("at", None)
        print(f"== {name}")
        for key, value in figures.items():
            if isinstance(value, dict) and "rps" in value and "p50_ms" in value:
                print(f"  {key:<32} {common.format_result(value)}")
            else:
                print(f"  {key:<32} {value}")
    if failures:
        print(f"\nFAILED: {', '.join(failures)}")
        return 1
    print(f"\nAll benchmarks ran ({time.time() - started:.0f} s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
