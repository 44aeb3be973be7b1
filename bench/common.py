"""What every Maillage benchmark uses: settings, servers, a load client, sessions.

A bench script is a plain program run from the repository root (directly, as
`python bench/foo.py`, or as `python -m bench.foo`). Its usual shape:

    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # bench/<dir>/x.py
    from bench import common, org

    args = common.arg_parser("Messaging timeline").parse_args()
    common.django_setup(args.database_url, args.redis_url)
    summary = org.build_org(members=args.members)  # builds once, then reuses
    cookies = common.session_cookies(summary.sample_members[summary.cell_id][0])
    with common.serve("gunicorn", 8801, database_url=args.database_url,
                      redis_url=args.redis_url) as base:
        result = common.measure(f"{base}/", cookies=cookies, requests=2000)
    queries = common.count_queries("/", user_id=...)
    common.record("messaging.timeline", {"home": result.as_dict(),
                                          "home_queries": queries.count})

The API:

- `DEFAULT_DATABASE_URL`, `DEFAULT_REDIS_URL`: postgres://.../maillage_bench and Redis
  db 3 (override with BENCH_DATABASE_URL / BENCH_REDIS_URL).
- `arg_parser(description)`: argparse with the options every bench accepts and that
  bench/run.py passes down: --database-url, --redis-url, --members, --quick,
  --no-migrate (pass `migrate=not args.no_migrate` to build_org).
- `django_setup(database_url, redis_url)`: sets the production-like environment
  (DEBUG=false, SECRET_KEY, ALLOWED_HOSTS=127.0.0.1,localhost,
  SECURE_SSL_REDIRECT=false, ROOT_URLCONF=bench.urls), creates the database if
  missing, then `django.setup()`.
  Call it before importing any model. Migrations are run by `org.build_org()`.
- `server_env(database_url, redis_url)`: that same environment as a dict, for
  subprocesses.
- `serve(kind, port=None, *, database_url, redis_url, workers=2)`: context manager
  that starts the production stack ("gunicorn": organising.wsgi, sync workers;
  "uvicorn" or "daphne": organising.asgi) with DEBUG off, waits until it answers and
  yields its base URL ("http://127.0.0.1:<port>", a free port unless given); stops it
  on exit. `/bench/bare/` is mounted (a view running exactly one SQL query) for
  comparison. Static files are collected once per process. ASGI servers get
  DB_CONN_MAX_AGE=0 (see serve()). `free_port()` gives a free port.
- `measure(url, *, cookies=None, headers=None, requests=2000, concurrency=8,
  method="GET", body=None, content_type=None, expect_status=200, warmup=None,
  max_seconds=60, tool=None, repeat=1) -> Result`: checks one request answers
  `expect_status` (raises BenchError otherwise: a login redirect is not a benchmark),
  warms up, then sends `requests` requests over `concurrency` connections (`repeat`
  times, keeping the median run) and returns
  `Result(p50_ms, p95_ms, p99_ms, mean_ms, rps, requests, errors, seconds, tool,
  server_cpu_ms, ...)`; server_cpu_ms is the CPU time the server processes (from
  serve()) spent per request: the steadiest figure on a shared machine.
  `cookies` may be a list of cookie dicts (one per session) that requests take in
  turn: give each concurrent connection its own member, as in real life.
  Uses `wrk` when installed (Debian package; lowest client overhead on 2 cores), else
  aiohttp (the `bench` extra). `Result.as_dict()` for `record()`, `Result.line()` or
  `format_result(dict)` for one printed line. `fetch(url, ...)` sends one request.
- `session_cookies(user_id) -> dict`: a logged-in session made directly in the
  database (no login form, no rate limit) plus a CSRF cookie; `csrf_headers(cookies)`
  gives the matching X-CSRFToken header for POSTs.
- `login_cookies(base_url, email, password) -> dict`: a real login through the
  allauth form (rate limited: 30/min per IP).
- `api_token(user_id, name="bench") -> str`: a Bearer token secret for the API.
- `count_queries(path, *, user_id=None, method="get", data=None, headers=None)
  -> QueryCount(count, status, statements)`: SQL queries of one request, in-process
  through Django's test client (after one warm-up request).
- `record(name, figures) -> Path`: prints the figures and writes them to
  bench/out/results/<name>.json, where bench/run.py collects them.
- `timed()`: context manager measuring wall seconds
  (`with timed() as t: ...` then `t.seconds`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT_DIR = REPO / "bench" / "out"
RESULTS_DIR = OUT_DIR / "results"
LOG_DIR = OUT_DIR / "logs"
VENV_BIN = Path(sys.executable).parent

DEFAULT_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/maillage_bench"
)
DEFAULT_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
BENCH_SECRET_KEY = "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"


class BenchError(RuntimeError):
    """A benchmark could not run as asked (server down, wrong status...)."""


# --------------------------------------------------------------------------- settings


def server_env(
    database_url: str = DEFAULT_DATABASE_URL, redis_url: str = DEFAULT_REDIS_URL
) -> dict[str, str]:
    """The environment variables of a production-like process on the bench database."""
    return {
        "DJANGO_SETTINGS_MODULE": "organising.settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DEBUG": "false",
        "SECRET_KEY": BENCH_SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "MAILLAGE_ROOT_URLCONF": "bench.urls",
        "MAILLAGE_BENCH_BARE": "1",
        "STATIC_ROOT": str(OUT_DIR / "static"),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "ERROR"),
    }


def ensure_database(database_url: str) -> bool:
    """Create the PostgreSQL database named in the URL if missing; True if created."""
    import psycopg
    from psycopg import sql

    parts = urllib.parse.urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not name:
        raise BenchError(f"No database name in {database_url!r}")
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


_setup_done: tuple[str, str] | None = None


def django_setup(
    database_url: str = DEFAULT_DATABASE_URL,
    redis_url: str = DEFAULT_REDIS_URL,
    *,
    create_database: bool = True,
) -> None:
    """Configure this process like a production server on the bench database (DEBUG
    off, plain http allowed, bench.urls as ROOT_URLCONF) and call django.setup()."""
    global _setup_done
    if _setup_done is not None:
        if _setup_done != (database_url, redis_url):
            raise BenchError("django_setup() was already called with other URLs")
        return
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    os.environ.update(server_env(database_url, redis_url))
    if create_database:
        ensure_database(database_url)
    import django

    django.setup()
    _setup_done = (database_url, redis_url)


def arg_parser(description: str) -> argparse.ArgumentParser:
    """The options every bench accepts (bench/run.py passes them to each script)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    parser.add_argument(
        "--members",
        type=int,
        default=int(os.environ.get("BENCH_MEMBERS", "100000")),
        help="size of the generated organisation (default 100000)",
    )
    parser.add_argument(
        "--no-migrate",
        action="store_true",
        help="do not run the migrations before using the org (org.build_org)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        default=os.environ.get("BENCH_QUICK", "") == "1",
        help="fewer requests per measure: for development",
    )
    return parser


@contextlib.contextmanager
def timed() -> Iterator[_Timer]:
    timer = _Timer()
    start = time.perf_counter()
    try:
        yield timer
    finally:
        timer.seconds = time.perf_counter() - start


@dataclass
class _Timer:
    seconds: float = 0.0


# --------------------------------------------------------------------------- servers

_static_collected = False


def collectstatic(database_url: str | None = None, redis_url: str | None = None):
    """The manifest static storage (DEBUG off) needs collected files; once per run.
    Without URLs, those given to django_setup()."""
    global _static_collected
    if _static_collected:
        return
    if database_url is None or redis_url is None:
        if _setup_done is None:
            raise BenchError("collectstatic() needs URLs or django_setup() first")
        database_url, redis_url = _setup_done
    env = {**os.environ, **server_env(database_url, redis_url)}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=REPO,
        env=env,
        check=True,
    )
    _static_collected = True


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _server_command(kind: str, port: int, workers: int) -> list[str]:
    bind = f"127.0.0.1:{port}"
    if kind == "gunicorn":
        return [
            str(VENV_BIN / "gunicorn"),
            "organising.wsgi:application",
            "--bind",
            bind,
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
        ]
    if kind == "uvicorn":
        return [
            str(VENV_BIN / "uvicorn"),
            "organising.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--log-level",
            "warning",
        ]
    if kind == "daphne":  # one process: daphne has no worker option
        return [
            str(VENV_BIN / "daphne"),
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "-v",
            "0",
            "organising.asgi:application",
        ]
    raise BenchError(f"Unknown server kind {kind!r} (gunicorn, uvicorn, daphne)")


@contextlib.contextmanager
def serve(
    kind: str = "gunicorn",
    port: int | None = None,
    *,
    database_url: str = DEFAULT_DATABASE_URL,
    redis_url: str = DEFAULT_REDIS_URL,
    workers: int = 2,
    env: dict[str, str] | None = None,
    startup_timeout: float = 60.0,
) -> Iterator[str]:
    """Run the production stack on 127.0.0.1:port for the duration of the block and
    yield its base URL (a free port is chosen when `port` is None). The server log is
    bench/out/logs/<kind>-<port>.log."""
    port = port or free_port()
    if not _port_free(port):
        raise BenchError(f"Port {port} is already in use")
    collectstatic(database_url, redis_url)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log_path = LOG_DIR / f"{kind}-{port}.log"
    full_env = {
        **os.environ,
        **server_env(database_url, redis_url),
        "PYTHONPATH": str(REPO),
        # Under ASGI, sync views run in threads and persistent connections pile up
        # (one per thread, never reused) until PostgreSQL refuses clients: Django's
        # advice is CONN_MAX_AGE=0 there, which is what production should set too.
        **({"DB_CONN_MAX_AGE": "0"} if kind != "gunicorn" else {}),
        **(env or {}),
    }
    base = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            _server_command(kind, port, workers),
            cwd=REPO,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_until_up(proc, base, startup_timeout, log_path)
            _servers[port] = proc.pid
            yield base
        finally:
            _servers.pop(port, None)
            _stop(proc)


# Servers started by serve(), by port: measure() reads their CPU time.
_servers: dict[int, int] = {}


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and all its descendants (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}  # pid -> (parent pid, cpu seconds)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # Fields after the command: state, ppid, ..., utime (11), stime (12).
        stats[int(entry.name)] = (
            int(fields[1]),
            (int(fields[11]) + int(fields[12])) / ticks,
        )
    total, todo, seen = 0.0, [pid], set()
    while todo:
        current = todo.pop()
        if current in seen or current not in stats:
            continue
        seen.add(current)
        total += stats[current][1]
        todo.extend(p for p, (ppid, _) in stats.items() if ppid == current)
    return total


def _server_pid(url: str) -> int | None:
    parts = urllib.parse.urlsplit(url)
    if parts.hostname not in ("127.0.0.1", "localhost"):
        return None
    return _servers.get(parts.port or 80)


def _wait_until_up(proc: subprocess.Popen, base: str, timeout: float, log: Path):
    deadline = time.monotonic() + timeout
    parts = urllib.parse.urlsplit(base)
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:]
            raise BenchError(f"The server exited with {proc.returncode}:\n{tail}")
        try:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
            conn.request("GET", "/bench/bare/")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    _stop(proc)
    raise BenchError(f"The server did not answer within {timeout:.0f}s (see {log})")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        # Only the process group this function started.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


# --------------------------------------------------------------------------- load


@dataclass
class Result:
    """Figures of one measure. Latencies in milliseconds."""

    url: str
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    concurrency: int
    tool: str
    detail: dict = field(default_factory=dict)
    # CPU milliseconds the server processes spent per request (serve() servers only):
    # steadier than requests/s on a machine shared with others.
    server_cpu_ms: float | None = None

    def as_dict(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        return format_result(self.as_dict())


def format_result(d: dict) -> str:
    """One line for a Result dict (plus its "queries" when present)."""
    queries = f"  {d['queries']:3d} queries" if "queries" in d else ""
    if d.get("server_cpu_ms") is not None:
        queries += f"  cpu {d['server_cpu_ms']:5.1f} ms/req"
    return (
        f"{d['rps']:8.0f} req/s  p50 {d['p50_ms']:7.1f} ms  p95 {d['p95_ms']:7.1f} ms"
        f"  p99 {d['p99_ms']:7.1f} ms{queries}  ({d['requests']} req,"
        f" c={d['concurrency']}, {d['errors']} errors, {d['tool']})"
    )


def _cookie_header(cookies: dict[str, str] | None) -> str:
    return "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())


def _request_headers(
    cookies: dict[str, str] | None,
    headers: dict[str, str] | None,
    content_type: str | None,
) -> dict[str, str]:
    out = dict(headers or {})
    if cookies:
        out["Cookie"] = _cookie_header(cookies)
    if content_type:
        out["Content-Type"] = content_type
    return out


def fetch(
    url: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    cookies: dict[str, str] | None = None,
    body: bytes | str | None = None,
    content_type: str | None = None,
    timeout: float = 30,
) -> tuple[int, dict[str, list[str]], bytes]:
    """One request, no redirect followed: (status, headers by lower name, body)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    if isinstance(body, str):
        body = body.encode()
    try:
        conn.request(
            method,
            target,
            body=body,
            headers=_request_headers(cookies, headers, content_type),
        )
        resp = conn.getresponse()
        data = resp.read()
        by_name: dict[str, list[str]] = {}
        for name, value in resp.getheaders():
            by_name.setdefault(name.lower(), []).append(value)
        return resp.status, by_name, data
    finally:
        conn.close()


def measure(
    url: str,
    *,
    cookies: dict[str, str] | list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    requests: int = 2000,
    concurrency: int = 8,
    method: str = "GET",
    body: bytes | str | None = None,
    content_type: str | None = None,
    expect_status: int = 200,
    warmup: int | None = None,
    max_seconds: float = 60.0,
    tool: str | None = None,
    repeat: int = 1,
    paths: list[str] | None = None,
) -> Result:
    """Load `url` with `requests` requests over `concurrency` connections.

    With `repeat` > 1 the run is done that many times and the run of median
    requests/s is returned (its `detail["rounds"]` lists every run's requests/s):
    steadier figures on a machine shared with others.

    `cookies` is one cookie dict, or a list of them that successive requests take in
    turn (several sessions: one session shared by concurrent requests serialises on
    its row locks, which real users do not). `paths`, if given, are taken in turn
    the same way, on `url`'s server, each at most once across the warm-up and the
    runs (`url` itself is asked first, as a check). Every request has the same
    headers and body: a POST benchmark must accept repeats. The first request must
    answer `expect_status`. Requests answering 3xx/4xx/5xx count as errors.
    """
    cookie_sets = [cookies] if isinstance(cookies, dict) else list(cookies or [])
    status, _, data = fetch(
        url,
        method=method,
        headers=headers,
        cookies=cookie_sets[0] if cookie_sets else None,
        body=body,
        content_type=content_type,
    )
    if status != expect_status:
        raise BenchError(
            f"{method} {url} answered {status}, expected {expect_status}: "
            f"{data[:300]!r}"
        )
    tool = tool or ("wrk" if shutil.which("wrk") else "aiohttp")
    if warmup is None:
        warmup = min(300, max(50, requests // 5))
    runner = {"wrk": _measure_wrk, "aiohttp": _measure_aiohttp}.get(tool)
    if runner is None:
        raise BenchError(f"Unknown load tool {tool!r} (wrk, aiohttp)")
    load = _Load(
        url=url,
        headers=_request_headers(None, headers, content_type),
        cookie_headers=[_cookie_header(c) for c in cookie_sets],
        paths=list(paths or []),
        concurrency=max(1, min(concurrency, requests)),
        method=method,
        body=body.encode() if isinstance(body, str) else body,
        max_seconds=max_seconds,
    )
    runs = [warmup] * bool(warmup) + [requests] * max(1, repeat)
    if load.paths and len(load.paths) < sum(runs) + len(runs) * load.concurrency:
        raise BenchError(f"{len(load.paths)} paths for {sum(runs)} requests")

    start = 0

    def next_load(count: int) -> _Load:
        """The load of the next run: it starts in `paths` where the last one
        stopped (wrk may send one request more per connection than asked)."""
        nonlocal start
        run = replace(load, paths=load.paths[start:])
        start += count + load.concurrency
        return run

    if warmup:
        runner(next_load(warmup), warmup)
    pid = _server_pid(url)
    rounds = []
    for _ in range(max(1, repeat)):
        cpu_before = server_cpu_seconds(pid) if pid else 0.0
        result = runner(next_load(requests), requests)
        if pid and result.requests:
            spent = server_cpu_seconds(pid) - cpu_before
            result.server_cpu_ms = round(spent * 1000 / result.requests, 2)
        rounds.append(result)
    rounds.sort(key=rps)
    chosen = rounds[len(rounds) // 2]
    if len(rounds) > 1:
        chosen.detail["rounds"] = [r.rps for r in rounds]
    return chosen


def rps(result: Result) -> float:
    return result.rps


@dataclass
class _Load:
    url: str
    headers: dict[str, str]
    cookie_headers: list[str]
    paths: list[str]
    concurrency: int
    method: str
    body: bytes | None
    max_seconds: float


_WRK_SCRIPT = r"""
wrk.method = os.getenv("BENCH_WRK_METHOD") or "GET"
local body_file = os.getenv("BENCH_WRK_BODY") or ""
if body_file ~= "" then
  local f = io.open(body_file, "rb")
  wrk.body = f:read("*a")
  f:close()
end
local cookies = {}
local cookie_file = os.getenv("BENCH_WRK_COOKIES") or ""
if cookie_file ~= "" then
  for line in io.lines(cookie_file) do cookies[#cookies + 1] = line end
end
local paths = {}
local path_file = os.getenv("BENCH_WRK_PATHS") or ""
if path_file ~= "" then
  for line in io.lines(path_file) do paths[#paths + 1] = line end
end
local limit = tonumber(os.getenv("BENCH_WRK_LIMIT") or "0")
counter = 0
bad = 0
local sent = 0
if #cookies > 0 or #paths > 0 then
  request = function()
    sent = sent + 1
    if #cookies > 0 then wrk.headers["Cookie"] = cookies[(sent % #cookies) + 1] end
    if #paths > 0 then return wrk.format(nil, paths[(sent % #paths) + 1]) end
    return wrk.format()
  end
end
function response(status, headers, body)
  counter = counter + 1
  if status >= 300 then bad = bad + 1 end
  if counter == limit then
    io.stderr:write("BENCH_LIMIT_REACHED\n")
    io.stderr:flush()
  end
end
local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
end
function done(summary, latency, requests)
  local e = summary.errors
  local not_ok = 0
  for _, t in ipairs(threads) do not_ok = not_ok + (t:get("bad") or 0) end
  io.write(string.format(
    'BENCHJSON {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "timeout": %d, "not_ok": %d, "p50": %.1f, "p95": %.1f, ' ..
    '"p99": %.1f, "mean": %.1f, "max": %.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout,
    not_ok, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.mean, latency.max))
end
"""


def _measure_wrk(load: _Load, requests: int) -> Result:
    """wrk with one client thread (the client must leave the 2 cores to the server);
    wrk is duration-based, so the script reports when `requests` answers arrived and
    this function interrupts it (SIGINT: wrk then prints its summary)."""
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        script = Path(tmp) / "bench.lua"
        script.write_text(_WRK_SCRIPT)
        env = {
            **os.environ,
            "BENCH_WRK_METHOD": load.method,
            "BENCH_WRK_LIMIT": str(requests),
            "BENCH_WRK_BODY": "",
            "BENCH_WRK_COOKIES": "",
            "BENCH_WRK_PATHS": "",
        }
        if load.body is not None:
            (Path(tmp) / "body").write_bytes(load.body)
            env["BENCH_WRK_BODY"] = str(Path(tmp) / "body")
        if load.cookie_headers:
            (Path(tmp) / "cookies").write_text("\n".join(load.cookie_headers) + "\n")
            env["BENCH_WRK_COOKIES"] = str(Path(tmp) / "cookies")
        if load.paths:
            (Path(tmp) / "paths").write_text("\n".join(load.paths) + "\n")
            env["BENCH_WRK_PATHS"] = str(Path(tmp) / "paths")
        cmd = [
            "wrk",
            "-t1",
            f"-c{load.concurrency}",
            f"-d{max(1, math.ceil(load.max_seconds))}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
        ]
        for name, value in load.headers.items():
            cmd += ["-H", f"{name}: {value}"]
        cmd.append(load.url)
        proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        err_lines: list[str] = []

        def watch_stderr() -> None:
            for err_line in proc.stderr:
                if err_line.startswith("BENCH_LIMIT_REACHED"):
                    with contextlib.suppress(ProcessLookupError):
                        proc.send_signal(signal.SIGINT)
                else:
                    err_lines.append(err_line)

        watcher = threading.Thread(target=watch_stderr, daemon=True)
        watcher.start()
        try:
            out = proc.stdout.read()
            proc.wait(timeout=load.max_seconds + 60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        watcher.join(timeout=5)
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCHJSON ")), None)
    if line is None:
        raise BenchError(f"wrk failed ({proc.returncode}): {out}{''.join(err_lines)}")
    raw = json.loads(line.removeprefix("BENCHJSON "))
    seconds = raw["duration_us"] / 1e6
    errors = sum(raw[k] for k in ("connect", "read", "write", "timeout", "not_ok"))
    return Result(
        url=load.url,
        requests=raw["requests"],
        errors=errors,
        seconds=round(seconds, 3),
        rps=round(raw["requests"] / seconds, 1) if seconds else 0.0,
        p50_ms=round(raw["p50"] / 1000, 2),
        p95_ms=round(raw["p95"] / 1000, 2),
        p99_ms=round(raw["p99"] / 1000, 2),
        mean_ms=round(raw["mean"] / 1000, 2),
        concurrency=load.concurrency,
        tool="wrk",
        detail={k: raw[k] for k in ("connect", "read", "write", "timeout", "not_ok")},
    )


def _measure_aiohttp(load: _Load, requests: int) -> Result:
    try:
        import aiohttp
    except ImportError:  # pragma: no cover - depends on the machine
        raise BenchError(
            "No load client: install wrk (apt-get install wrk) or the bench extra "
            "(pip install -e '.[bench]')"
        ) from None
    return asyncio.run(_aiohttp_run(aiohttp, load, requests))


async def _aiohttp_run(aiohttp, load: _Load, requests: int) -> Result:
    latencies: list[float] = []
    errors = 0
    sent = 0
    deadline = time.perf_counter() + load.max_seconds
    connector = aiohttp.TCPConnector(limit=load.concurrency)
    jar = aiohttp.DummyCookieJar()  # cookies come from the Cookie header only
    cookie_headers = load.cookie_headers
    origin = load.url.split("/", 3)[:3]

    async def worker(session) -> None:
        nonlocal sent, errors
        while sent < requests and time.perf_counter() < deadline:
            headers = load.headers
            if cookie_headers:
                headers = {
                    **headers,
                    "Cookie": cookie_headers[sent % len(cookie_headers)],
                }
            url = load.url
            if load.paths:
                url = "/".join(origin) + load.paths[sent % len(load.paths)]
            sent += 1
            start = time.perf_counter()
            try:
                async with session.request(
                    load.method,
                    url,
                    headers=headers,
                    data=load.body,
                    allow_redirects=False,
                ) as resp:
                    await resp.read()
                    if resp.status >= 300:
                        errors += 1
            except aiohttp.ClientError:
                errors += 1
            latencies.append(time.perf_counter() - start)

    async with aiohttp.ClientSession(connector=connector, cookie_jar=jar) as session:
        start = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(load.concurrency)))
        seconds = time.perf_counter() - start
    latencies.sort()

    def pct(p: float) -> float:
        if not latencies:
            return 0.0
        index = min(len(latencies) - 1, int(p * len(latencies)))
        return round(latencies[index] * 1000, 2)

    return Result(
        url=load.url,
        requests=len(latencies),
        errors=errors,
        seconds=round(seconds, 3),
        rps=round(len(latencies) / seconds, 1) if seconds else 0.0,
        p50_ms=pct(0.50),
        p95_ms=pct(0.95),
        p99_ms=pct(0.99),
        mean_ms=round(statistics.fmean(latencies) * 1000, 2) if latencies else 0.0,
        concurrency=load.concurrency,
        tool="aiohttp",
    )


# --------------------------------------------------------------------------- sessions


def _new_csrf_secret() -> str:
    from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
    from django.utils.crypto import get_random_string

    return get_random_string(CSRF_SECRET_LENGTH, allowed_chars=CSRF_ALLOWED_CHARS)


def session_cookies(user_id: int) -> dict[str, str]:
    """Cookies of a logged-in session for `user_id`, written straight to the session
    store (needs django_setup). Includes a CSRF cookie: see csrf_headers()."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )

    user = get_user_model().objects.get(pk=user_id)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save(must_create=True)
    return {
        settings.SESSION_COOKIE_NAME: store.session_key,
        settings.CSRF_COOKIE_NAME: _new_csrf_secret(),
    }


def csrf_headers(cookies: dict[str, str]) -> dict[str, str]:
    """The header that makes a POST with these cookies pass the CSRF check."""
    from django.conf import settings

    return {"X-CSRFToken": cookies[settings.CSRF_COOKIE_NAME]}


def _set_cookies(headers: dict[str, list[str]]) -> dict[str, str]:
    from http.cookies import SimpleCookie

    jar = SimpleCookie()
    for raw in headers.get("set-cookie", []):
        jar.load(raw)
    return {name: morsel.value for name, morsel in jar.items()}


def login_cookies(base_url: str, email: str, password: str) -> dict[str, str]:
    """Log in through the real allauth form; returns the session and CSRF cookies.
    The login is rate limited (30 per minute per IP): use session_cookies() for many."""
    status, headers, _ = fetch(f"{base_url}/accounts/login/")
    cookies = _set_cookies(headers)
    token = cookies.get("csrftoken")
    if status != 200 or not token:
        raise BenchError(f"GET /accounts/login/ answered {status} without CSRF cookie")
    form = urllib.parse.urlencode(
        {"login": email, "password": password, "csrfmiddlewaretoken": token}
    )
    status, headers, data = fetch(
        f"{base_url}/accounts/login/",
        method="POST",
        cookies=cookies,
        body=form,
        content_type="application/x-www-form-urlencoded",
    )
    cookies.update(_set_cookies(headers))
    if status != 302 or "sessionid" not in cookies:
        raise BenchError(f"Login of {email} failed ({status}): {data[:300]!r}")
    return cookies


def api_token(user_id: int, name: str = "bench") -> str:
    """A new Bearer token for `user_id` (needs django_setup)."""
    from django.contrib.auth import get_user_model

    from members.services import token_create

    user = get_user_model().objects.get(pk=user_id)
    _, secret = token_create(user=user, name=name)
    return secret


# --------------------------------------------------------------------------- queries


@dataclass
class QueryCount:
    count: int
    status: int
    statements: list[str]


def count_queries(
    path: str,
    *,
    user_id: int | None = None,
    method: str = "get",
    data=None,
    headers: dict[str, str] | None = None,
    warm: bool = True,
) -> QueryCount:
    """SQL queries run by one request to `path`, in this process (Django test client,
    as `user_id` when given). One warm-up request first unless warm=False."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    if not _static_collected:
        collectstatic()
        from django.contrib.staticfiles.storage import staticfiles_storage

        # The manifest is read when the storage is first used: read it again.
        if hasattr(staticfiles_storage, "load_manifest"):
            loaded = staticfiles_storage.load_manifest()
            if isinstance(loaded, tuple):  # Django 4.2+: (hashed files, hash)
                loaded, staticfiles_storage.manifest_hash = loaded
            staticfiles_storage.hashed_files = loaded
    client = Client(SERVER_NAME="127.0.0.1", headers=headers)
    if user_id is not None:
        client.force_login(get_user_model().objects.get(pk=user_id))
    call = getattr(client, method.lower())
    if warm:
        call(path, data) if data is not None else call(path)
    with CaptureQueriesContext(connection) as ctx:
        response = call(path, data) if data is not None else call(path)
    return QueryCount(
        count=len(ctx.captured_queries),
        status=response.status_code,
        statements=[q["sql"] for q in ctx.captured_queries],
    )


# --------------------------------------------------------------------------- results


def record(name: str, figures: dict) -> Path:
    """Print `figures` and save them as bench/out/results/<name>.json."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    payload = {"bench": name, "at": time.strftime("%Y-%m-%dT%H:%M:%S"), **figures}
    path.write_text(json.dumps(payload, indent=2, default=str))
    print(f"== {name}")
    for key, value in figures.items():
        if isinstance(value, dict) and "rps" in value and "p50_ms" in value:
            print(f"  {key:<32} {format_result(value)}")
        else:
            print(f"  {key:<32} {value}")
    return path
