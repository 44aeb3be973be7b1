"""Generate (or reuse) the posts and follows of the messaging benchmarks and print
what was built.

    python bench/messaging/generate.py [--members 100000] [--posts 1000000]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import common  # noqa: E402
from bench.messaging._setup import prepare  # noqa: E402


def main() -> int:
    _args, _summary, info = prepare("Messaging: posts and follows generator")
    from dataclasses import asdict

    figures = asdict(info)
    figures.pop("params")
    common.record("messaging.data", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
