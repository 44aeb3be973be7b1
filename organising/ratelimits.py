"""Per-member and per-network limits on writes that people or bots can repeat at
scale (posts, replies, messages, conversations, reactions, mentions, invitations).

A service calls `charge(action, member=...)` before it writes; over a limit it
raises `RateLimited`, which becomes a 429 with `Retry-After` (the page
templates/429.html, or JSON for the API).

- The limits are settings: `RATE_LIMITS` (per member) and `RATE_LIMITS_NETWORK`
  (per client network: an IPv4 /24 or an IPv6 /64), each action a rate such as
  "10/m,60/h" (n per s, m, h or d; several windows all apply).
- Sliding windows (this window's count plus the previous one's, weighed by its
  overlap). Counts live in Redis when there is one (one atomic round trip: SET NX
  EX, INCRBY and GET in a MULTI), so they hold across processes. When Redis fails, this
  process counts alone for a little while (`_LOCAL`): the limit is then per
  process, never a 500 and never everyone refused. Without Redis configured, the
  in-process cache counts.
- Limits apply to what clients ask for: the middleware opens the window
  (`client_scope`) for each request; the demo seeding, management commands,
  Celery tasks and tests that call services directly are not clients.
"""

from __future__ import annotations

import contextvars
import ipaddress
import logging
import math
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from allauth.core.internal.httpkit import get_client_ip
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*")
# After a Redis error, count in process for this long before trying Redis again
# (a paused Redis would otherwise cost every write its socket timeout).
REDIS_RETRY_SECONDS = 10


class RateLimited(Exception):
    """Too many `action` in a short time; retry in `retry_after` seconds."""

    def __init__(self, action: str, retry_after: int) -> None:
        super().__init__(action, retry_after)
        self.action = action
        self.retry_after = max(1, int(retry_after))


@dataclass(frozen=True)
class Rate:
    limit: int
    seconds: int


def parse_rates(text: str) -> list[Rate]:
    """ "10/m,60/h" -> [Rate(10, 60), Rate(60, 3600)]; "" means no limit."""
    rates = []
    for part in (text or "").split(","):
        if not part.strip():
            continue
        match = _RATE.fullmatch(part)
        if match is None:
            raise ValueError(f"Bad rate {part!r}: write it like 10/m or 100/5m")
        count, multiple, unit = match.groups()
        rates.append(Rate(int(count), int(multiple or 1) * _UNITS[unit]))
    return rates


# --- Who is asking ------------------------------------------------------------------

_client_network: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "ratelimit_client_network", default=None
)


def network_of(address: str) -> str:
    """The network a client address belongs to: IPv4 /24, IPv6 /64 (one household
    or office usually holds a whole IPv6 /64)."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return "unknown"
    prefix = 24 if ip.version == 4 else 64
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


@contextmanager
def client_scope(address: str) -> Iterator[None]:
    """Limits apply inside: a client (browser, API client) from `address` asks."""
    token = _client_network.set(network_of(address))
    try:
        yield
    finally:
        _client_network.reset(token)


# --- Counting -----------------------------------------------------------------------


class _LocalCounts:
    """Fixed windows counted in this process (no Redis, or Redis failing)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[float, int]] = {}

    def incr(self, key: str, cost: int, seconds: int, now: float) -> int:
        with self._lock:
            if len(self._counts) > 50_000:
                self._counts = {k: v for k, v in self._counts.items() if v[0] > now}
            expires, count = self._counts.get(key, (0.0, 0))
            if expires <= now:
                expires, count = now + seconds, 0
            count += cost
            self._counts[key] = (expires, count)
            return count

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


_LOCAL = _LocalCounts()
# Redis server -> until when it is left alone after an error.
_redis_down_until: dict[str, float] = {}


def _count(
    keys: list[tuple[str, str, int]], cost: int, now: float
) -> list[tuple[int, int]]:
    """Add `cost` to each (key, previous window's key, window seconds); answer each
    new count with the previous window's count. A window's count is kept through
    the next window, which weighs it."""
    backend = getattr(cache, "_cache", None)
    if backend is None or not hasattr(backend, "get_client"):
        return [_count_in_cache(key, before, cost, s) for key, before, s in keys]
    server = cache._servers[0]
    if now >= _redis_down_until.get(server, 0.0):
        try:
            pipe = backend.get_client(None, write=True).pipeline(transaction=True)
            for key, before, seconds in keys:
                # No release prefix: old and new releases share counts in a deploy.
                pipe.set(key, 0, ex=2 * seconds + 1, nx=True)
                pipe.incrby(key, cost)
                pipe.get(before)
            results = pipe.execute()
            return [
                (int(results[n + 1]), int(results[n + 2] or 0))
                for n in range(0, len(results), 3)
            ]
        except Exception:  # noqa: BLE001 - Redis down: count here, never fail
            logger.warning("Rate limits counted in process (Redis)", exc_info=True)
            _redis_down_until[server] = now + REDIS_RETRY_SECONDS
    return [
        (
            _LOCAL.incr(f"{server}|{key}", cost, 2 * s, now),
            _LOCAL.incr(f"{server}|{before}", 0, 2 * s, now),
        )
        for key, before, s in keys
    ]


def _count_in_cache(key: str, before: str, cost: int, seconds: int) -> tuple[int, int]:
    """The in-process cache (no Redis configured): add and incr are atomic there."""
    cache.add(key, 0, 2 * seconds + 1)
    try:
        count = cache.incr(key, cost)
    except ValueError:  # expired between add and incr
        cache.add(key, 0, 2 * seconds + 1)
        count = cache.incr(key, cost)
    return count, cache.get(before, 0)


def _wait(rate: Rate, count: int, previous: int, elapsed: float) -> float:
    """Seconds before a sliding window (this window's count plus the previous one's,
    weighed by how much of it still overlaps the last `rate.seconds`) falls back to
    the limit; 0 when it is not over. Fixed windows alone let twice the limit
    through across a boundary."""
    period = rate.seconds
    if count + previous * (1 - elapsed / period) <= rate.limit:
        return 0.0
    if count <= rate.limit:  # the previous window's share must decay
        return period * (1 - (rate.limit - count) / previous) - elapsed
    # This window alone is over: wait for it to end and weigh little enough.
    return (period - elapsed) + period * (1 - rate.limit / count)


def charge(action: str, *, member=None, cost: int = 1) -> None:
    """Count `cost` uses of `action` by `member` (and by the client's network);
    raise `RateLimited` when a limit is passed. Outside a client request, nothing."""
    network = _client_network.get()
    if network is None or cost <= 0:
        return
    if member is not None and getattr(member, "is_superuser", False):
        return
    scopes = []
    if member is not None and getattr(member, "pk", None):
        scopes.append((f"m{member.pk}", settings.RATE_LIMITS.get(action, "")))
    scopes.append((f"n{network}", settings.RATE_LIMITS_NETWORK.get(action, "")))
    now = time.time()
    keys, windows = [], []
    for who, text in scopes:
        for rate in parse_rates(text):
            window = int(now // rate.seconds)
            base = f"maillage:rl:{action}:{who}:{rate.seconds}"
            keys.append((f"{base}:{window}", f"{base}:{window - 1}", rate.seconds))
            windows.append((rate, now - window * rate.seconds))
    if not keys:
        return
    counted = _count(keys, cost, now)
    wait = max(
        _wait(rate, count, previous, elapsed)
        for (count, previous), (rate, elapsed) in zip(counted, windows, strict=True)
    )
    if wait > 0:
        raise RateLimited(action, math.ceil(wait))


def reset() -> None:
    """Forget the in-process counts and Redis errors (tests)."""
    _LOCAL.clear()
    _redis_down_until.clear()


# --- The answer ---------------------------------------------------------------------


def too_many_response(request, exc: RateLimited):
    """429 with Retry-After: JSON for the API, the translated page otherwise."""
    message = _("Too many attempts in a short time. Try again in %(n)d seconds.") % {
        "n": exc.retry_after
    }
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(
            request,
            "429.html",
            {"retry_after": exc.retry_after, "rate_limited": True},
            status=429,
        )
    response["Retry-After"] = str(exc.retry_after)
    return response


def client_address(request) -> str:
    """The client's address as allauth reads it (X-Forwarded-For behind
    TRUSTED_PROXY_COUNT proxies, else REMOTE_ADDR), so both limit the same way."""
    try:
        return get_client_ip(request) or ""
    except ImproperlyConfigured:  # a forged or short X-Forwarded-For
        return request.META.get("REMOTE_ADDR", "")


class RateLimitMiddleware:
    """Opens the client scope for each request and answers `RateLimited` as 429."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        with client_scope(client_address(request)):
            return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, RateLimited):
            return too_many_response(request, exception)
        return None
