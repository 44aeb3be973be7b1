"""What every messaging bench does first: settings, the org, the posts and follows."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import common  # noqa: E402


def prepare(description: str, extra_args=None):
    """(args, org summary, posts info), with the database ready."""
    parser = common.arg_parser(description)
    parser.add_argument(
        "--posts",
        type=int,
        default=None,
        help="posts to generate (default 10 per member: 1,000,000 for 100,000)",
    )
    if extra_args:
        extra_args(parser)
    args = parser.parse_args()
    common.django_setup(args.database_url, args.redis_url)
    from bench import org
    from bench.messaging import _data

    summary = org.build_org(members=args.members, migrate=not args.no_migrate)
    posts = args.posts or args.members * 10
    info = _data.build_posts(summary, posts=posts, verbose=True)
    return args, summary, info
