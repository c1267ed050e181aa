"""The server's benchmarks: lookbook search, SSE fan-out, catch-up of a long event log.

Run alone with `python -m benchmarks.server [--quick]` (a table on stdout, JSON in
benchmarks/results/server.json) or through `run(quick)`, which returns the rows.

Setting (built once per database, in a temporary directory removed afterwards)
- Two databases, one after the other: SQLite (a file in the temporary directory) and
  PostgreSQL (a scratch database `bench_<random>` on 127.0.0.1:5432 as `postgres`, dropped
  at the end; when PostgreSQL is not reachable its rows say so, with no value).
- Each is migrated (`server.db.migrate`) and seeded once with `demo.seed.seed` at full
  scale: 10,000 clients, 50,000 products, 2,000 open conversations (seed 7, password
  "demo"); PostgreSQL is then ANALYZEd (the statistics autovacuum would gather after a
  bulk load). The three measurements below share that database.
- The real server in its own process, `advisor-console serve --port 0` on loopback with
  the default limits (its own interpreter, so the clients below do not share its GIL).
  Clients sign in over HTTP (`POST /api/v1/auth/token`); as the server limits requests per
  token (50/s, burst 200), load is spread over several tokens of the same accounts.

1. Lookbook search. A deterministic mix of queries made from the seeded catalogue: a word
   of a product name, a line, colour or material, a whole SKU, a SKU prefix, two and three
   words of one product, the first 3-5 letters of a word (typing), two-letter words alone
   and next to a longer word, mixed case, and queries with no hits (rare words; one of
   them two letters long, the worst case: no trigram, so a full walk of the catalogue).
   - Server side (the target): in this process, through a SQLAlchemy session on the same
     database (a fresh Session per query), `perf_counter()` around
     `search.products(session, search.product_query(session, q, None, None, 51))`: the
     statement built, executed, and every row read and validated into a `Product` (what
     `GET /api/v1/products` runs for a first page of 50, before serialising). One
     warm-up pass over the queries, then every query `rounds` times. p50/p95, target p95
     <= 5 ms.
   - HTTP round trip (informational): the same queries, once each after a warm-up pass,
     as `GET /api/v1/products?q=` from an httpx client with keep-alive, signed in as
     `advisor`: auth, search, serialisation and loopback HTTP.

2. SSE fan-out. 500 subscribers, each a real HTTP/1.1 connection to
   `GET /api/v1/events/stream?after=<head>`, spread over 2 child processes (asyncio
   protocols reading raw bytes: httpx costs too much CPU per event for 250 streams in one
   interpreter), signed in as the Tokyo advisors `advisor`, `yui.tanaka`, `kenji.watanabe`,
   `haruka.sato` (the server filters their streams by hub, per subscriber) and as the
   supervisor `supervisor` (sees everything); four in five subscribers are advisors.
   Once every subscriber has its stream open, the parent warms up (1 s of posts at the
   same rate on the same connections, whose marker the subscribers do not time: the first
   posts of a fresh server found every path cold, the first use of each token included,
   and waited 40-80 ms), pauses 0.5 s, then posts 200 client messages a
   second for 10 s through the real write path, `POST /api/v1/inbound` (as the
   `channel-sim` account, over 8 tokens; each POST written as raw HTTP/1.1 on a pool of 32
   keep-alive connections, `_Poster`: httpx cost this process about 9 ms of CPU per post,
   on the cores the server needs), spread over 20 open conversations: 16 of the
   Tokyo hub and 4 of other hubs, which the advisors must not receive. Each body carries
   `bench-t=<time.monotonic() just before the POST>/<n>/<tokyo?>`; a subscriber takes
   `time.monotonic()` (one clock for every process) when the bytes holding that marker
   arrive. Latency = receipt - send, for every post at every subscriber that may see it.
   p50 and p99 (target p99 <= 50 ms); also the post rate achieved, the share of expected
   deliveries made within 5 s after the last post, and leaks (must be 0).

3. Catch-up of 100,000 events. The log is grown by 100,000 events: first `template`
   (1,000) through the server's own write path (`services.run_write` with
   `services.inbound` for client messages and `services.post_message` for supervisors'
   notes, 50 operations per transaction, over many conversations of every hub), then
   those events' rows are copied with `INSERT INTO event ... SELECT` under new sequence
   numbers (seq + shift, under the log's write lock) until 100,000 were added: the rows
   are identical to real ones but for `seq` (message ids repeat, which a reader of the
   log does not check). On PostgreSQL the table is then ANALYZEd (as autovacuum would).
   A client then reads them all with the sync engine's own reader, `client.sync.event_pages`
   (`GET /api/v1/events?after=<cursor>&limit=<client.sync.CATCH_UP_PAGE>` page after page,
   each checked with `_check_page`, the next page asked for as soon as a full page's
   `X-Next-After` header is in), until the cursor reaches the head (the local cache's
   writes are not included). Signed in as `supervisor` (every event) -- the target, <= 2 s -- and
   as `advisor` (Tokyo only, informational).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator

from benchmarks.common import ServerProcess, _p, _row, machine, suite_main

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results" / "server.json"
PASSWORD = "demo"
SEARCH_MS = 5.0
FANOUT_MS = 50.0
CATCHUP_S = 2.0
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_UNREACHABLE = "PostgreSQL not reachable"

FULL = {
    "clients": 10_000,
    "products": 50_000,
    "conversations": 2_000,
    "queries": 60,
    "rounds": 5,
    "subscribers": 500,
    "children": 2,
    "rate": 200,
    "seconds": 10.0,
    "template": 1_000,
    "catchup": 100_000,
}
QUICK = {
    "clients": 800,
    "products": 2_000,
    "conversations": 150,
    "queries": 30,
    "rounds": 2,
    "subscribers": 40,
    "children": 2,
    "rate": 40,
    "seconds": 3.0,
    "template": 200,
    "catchup": 5_000,
}
TYO_ADVISORS = ("advisor", "yui.tanaka", "kenji.watanabe", "haruka.sato")
SUBSCRIBERS_PER_TOKEN = 50
POST_TOKENS = 8
GRACE_S = 5.0
WARMUP_S = 1.0
WARMUP_PAUSE_S = 0.5

Log = Callable[[str], None]


# ---- databases ---------------------------------------------------------------------------


class Unreachable(Exception):
    pass


def pg_version() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
            return str(conn.execute("SHOW server_version").fetchone()[0])
    except Exception:
        return None


@contextlib.contextmanager
def database(kind: str, tmp: Path) -> Iterator[str]:
    """A fresh, empty database URL: a SQLite file, or a scratch PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'server.sqlite'}"
        return
    import psycopg

    name = f"bench_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except Exception as exc:
        raise Unreachable(f"{PG_UNREACHABLE}: {type(exc).__name__}") from exc
    try:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.close()


def seed_database(url: str, scale: dict[str, Any]) -> float:
    from advisor_console.demo.seed import seed
    from advisor_console.server.db import make_engine, migrate

    t = time.perf_counter()
    migrate(url)
    engine = make_engine(url)
    try:
        seed(engine, clients=scale["clients"], products=scale["products"], conversations=scale["conversations"], seed=7, password=PASSWORD)
        if engine.dialect.name == "postgresql":  # planner statistics, as autovacuum would take after a bulk load
            with engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()
    return time.perf_counter() - t


def _tokens(server_url: str, username: str, count: int) -> list[str]:
    from advisor_console.client.api import login

    return [login(server_url, username, PASSWORD).token for _ in range(count)]


# ---- 1. lookbook search ------------------------------------------------------------------

_NO_HIT = ("zircon", "tuxedo velour", "qwx", "marmalade", "xq", "bag zzz", "hologram sneaker", "uranium")


def search_queries(url: str, count: int) -> list[tuple[str, str]]:
    """(kind, query) pairs drawn deterministically from the seeded catalogue."""
    from sqlalchemy import select

    from advisor_console.server.db import make_engine
    from advisor_console.server.tables import ProductRow

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(ProductRow.sku, ProductRow.search_text).order_by(ProductRow.id)).all()
    finally:
        engine.dispose()
    rng = random.Random(11)
    out: list[tuple[str, str]] = []
    kinds = ("name word", "sku", "sku prefix", "two words", "attribute", "three words", "typing", "two letters", "word + two letters", "mixed case", "no hit")
    for i in range(count):
        kind = kinds[i % len(kinds)]
        sku, text = rng.choice(rows)
        sku = sku.lower()
        tokens = text.split()
        cut = tokens.index(sku) if sku in tokens else len(tokens) // 2
        name = [t for t in tokens[:cut] if len(t) >= 3 and t.isalpha()] or tokens[:1]
        attrs = [t for t in tokens[cut + 1 :] if len(t) >= 3] or name
        if kind == "name word":
            q = rng.choice(name)
        elif kind == "sku":
            q = sku
        elif kind == "sku prefix":
            q = sku[: rng.choice((5, 7, 10))]
        elif kind == "two words":
            q = f"{rng.choice(name)} {rng.choice(attrs)}"
        elif kind == "attribute":
            q = rng.choice(attrs)
        elif kind == "three words":
            q = " ".join(rng.sample(name + attrs, 3) if len(name + attrs) >= 3 else name + attrs)
        elif kind == "typing":
            word = rng.choice(name)
            q = word[: rng.randint(3, 5)]
        elif kind == "two letters":
            q = rng.choice(name)[:2]
        elif kind == "word + two letters":
            q = f"{rng.choice(attrs)} {rng.choice(name)[:2]}"
        elif kind == "mixed case":
            q = " ".join(w.capitalize() for w in (rng.choice(name), rng.choice(attrs)))
        else:
            q = _NO_HIT[(i // len(kinds)) % len(_NO_HIT)]
        out.append((kind, q))
    return out


def measure_search(url: str, queries: list[tuple[str, str]], rounds: int, label: str, log: Log) -> list[dict[str, Any]]:
    from sqlmodel import Session

    from advisor_console.server import search
    from advisor_console.server.db import make_engine

    engine = make_engine(url)
    samples: list[float] = []
    worst: dict[str, float] = {}
    hits = 0
    try:
        for r in range(rounds + 1):  # round 0 warms caches and is not counted
            for kind, q in queries:
                with Session(engine) as session:
                    t0 = time.perf_counter()
                    rows = search.products(session, search.product_query(session, q, None, None, 51))
                    dt = (time.perf_counter() - t0) * 1000
                if r:
                    samples.append(dt)
                    worst[q] = max(worst.get(q, 0.0), dt)
                elif rows:
                    hits += 1
    finally:
        engine.dispose()
    p50, p95 = _p(samples, 50), _p(samples, 95)
    slow = sorted(worst.items(), key=lambda kv: -kv[1])[:3]
    log(f"{label} search (server side): p50 {p50:.2f} ms, p95 {p95:.2f} ms; slowest {[(q, round(t, 1)) for q, t in slow]}")
    note = f"n={len(samples)}, {len(queries)} queries ({hits} with hits), max {max(samples):.1f} ms ({slow[0][0]!r})"
    return [
        _row(f"{label}: lookbook search, server side p50", p50, "ms", None, None, note),
        _row(f"{label}: lookbook search, server side p95", p95, "ms", SEARCH_MS, p95 <= SEARCH_MS, note),
    ]


def measure_search_http(server_url: str, token: str, queries: list[tuple[str, str]], label: str, log: Log) -> list[dict[str, Any]]:
    import httpx

    samples: list[float] = []
    with httpx.Client(base_url=server_url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        for r in range(2):
            for _kind, q in queries:
                t0 = time.perf_counter()
                response = client.get("/api/v1/products", params={"q": q})
                dt = (time.perf_counter() - t0) * 1000
                response.raise_for_status()
                if r:
                    samples.append(dt)
    p50, p95 = _p(samples, 50), _p(samples, 95)
    log(f"{label} search (HTTP): p50 {p50:.2f} ms, p95 {p95:.2f} ms")
    note = f"n={len(samples)}, GET /api/v1/products?q= (limit 50), keep-alive"
    return [
        _row(f"{label}: lookbook search, HTTP round trip p50", p50, "ms", None, None, note),
        _row(f"{label}: lookbook search, HTTP round trip p95", p95, "ms", None, None, note + f", max {max(samples):.1f} ms"),
    ]


# ---- 2. SSE fan-out ------------------------------------------------------------------------

MARK = b"bench-t="
WARM_MARK = b"bench-w="  # warm-up posts: delivered like the others, not timed

# BENCH_RAW=<prefix>: each subscriber process also writes every delivery it timed, as
# (post number, send time, latency ms), to <prefix>-fanout-<n> (see fanout_timeline.py).
RAW: list[tuple[int, float, float]] | None = [] if os.environ.get("BENCH_RAW") else None
_CHILD = """
import sys
sys.path.insert(0, {root!r})
from benchmarks.server import _subscriber_child
_subscriber_child()
"""


class _Subscriber(asyncio.Protocol):
    """One SSE stream read as raw bytes; records the latency of each marker it sees first."""

    def __init__(self, request: bytes, advisor: bool, lat: list[float], connected: asyncio.Event, counter: list[int]) -> None:
        self.request, self.advisor, self.lat = request, advisor, lat
        self.connected, self.counter = connected, counter
        self.seen: set[int] = set()
        self.leaks = 0
        self.status = ""
        self.open = False
        self.tail = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        if not self.open:
            if not self.status:
                self.status = data[:40].split(b"\r\n", 1)[0].decode("latin-1")
            if b"retry:" in data:
                self.open = True
                self.counter[0] += 1
                if self.counter[0] >= self.counter[1]:
                    self.connected.set()
        buf = self.tail + data
        i = 0
        partial = None
        while True:
            j = buf.find(MARK, i)
            if j < 0:
                break
            end = buf.find(b";", j)
            if end < 0:  # the rest of this marker is in the next chunk
                partial = j
                break
            try:
                sent, n, tokyo = buf[j + len(MARK) : end].split(b"/")
                n_int = int(n)
            except ValueError:
                i = end + 1
                continue
            if n_int not in self.seen:  # the body and the conversation's preview both hold it
                self.seen.add(n_int)
                self.lat.append((now - float(sent)) * 1000)
                if RAW is not None:
                    RAW.append((n_int, float(sent), (now - float(sent)) * 1000))
                if self.advisor and tokyo != b"1":
                    self.leaks += 1
            i = end + 1
        # Keep what may hold the start of a marker cut by the chunk's end (seen ones are skipped).
        self.tail = buf[partial:] if partial is not None else buf[-48:]

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False


def _subscriber_child() -> None:
    """Child process: open the streams it is given, say `ready`, read until `stop`, dump results."""
    config = json.loads(sys.stdin.readline())

    async def main() -> None:
        loop = asyncio.get_running_loop()
        lat: list[float] = []
        connected = asyncio.Event()
        counter = [0, len(config["subs"])]
        subs: list[_Subscriber] = []
        host, port = config["host"], config["port"]
        for k, s in enumerate(config["subs"]):
            request = (
                f"GET /api/v1/events/stream?after={config['after']} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                f"Authorization: Bearer {s['token']}\r\nAccept: text/event-stream\r\n\r\n"
            ).encode()
            sub = _Subscriber(request, s["advisor"], lat, connected, counter)
            await loop.create_connection(lambda sub=sub: sub, host, port)
            subs.append(sub)
            if k % 25 == 24:
                await asyncio.sleep(0.05)  # no connection storm
        try:
            await asyncio.wait_for(connected.wait(), 60)
        except TimeoutError:
            pass
        print(f"ready {counter[0]}", flush=True)
        await loop.run_in_executor(None, sys.stdin.readline)
        for sub in subs:
            if sub.transport is not None:
                sub.transport.close()
        result = {
            "lat": [round(x, 3) for x in lat],
            "subs": [{"advisor": s.advisor, "count": len(s.seen), "leaks": s.leaks, "status": s.status, "open": s.open} for s in subs],
        }
        Path(config["out"]).write_text(json.dumps(result))
        if RAW is not None:
            Path(os.environ["BENCH_RAW"] + "-" + Path(config["out"]).stem).write_text(json.dumps(RAW))

    asyncio.run(main())


def _fanout_targets(url: str) -> tuple[list[dict[str, Any]], int]:
    """20 open conversations to post into (16 Tokyo, 4 elsewhere, unassigned) and the log's head."""
    from sqlalchemy import func, select

    from advisor_console.server.db import make_engine
    from advisor_console.server.tables import ConversationRow, EventRow

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            latest = (
                select(ConversationRow.client_id, ConversationRow.channel, func.max(ConversationRow.id).label("id"))
                .where(ConversationRow.status != "resolved")
                .group_by(ConversationRow.client_id, ConversationRow.channel)
                .subquery()
            )
            rows = conn.execute(
                select(ConversationRow.id, ConversationRow.client_id, ConversationRow.channel, ConversationRow.hub, ConversationRow.assignee_id)
                .join(latest, latest.c.id == ConversationRow.id)
                .order_by(ConversationRow.id)
            ).all()
            head = conn.execute(select(func.max(EventRow.seq))).scalar() or 0
    finally:
        engine.dispose()
    tokyo = [r for r in rows if r.hub == "TYO"][:16]
    other = [r for r in rows if r.hub != "TYO" and r.assignee_id is None][:4]
    targets = [{"id": r.id, "client_id": r.client_id, "channel": r.channel, "tokyo": r.hub == "TYO"} for r in tokyo + other]
    return targets, head


class _Poster(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection that sends a request and reads its answer (the
    status; the body is skipped). httpx spent about as much CPU per post as the server did,
    on the same two cores: the load generator must not be what is measured."""

    def __init__(self) -> None:
        self.buf = b""
        self.waiter: asyncio.Future[int] | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buf += data
        head_end = self.buf.find(b"\r\n\r\n")
        if head_end < 0 or self.waiter is None:
            return
        head = self.buf[:head_end].lower()
        at = head.find(b"content-length:")
        length = int(head[at + 15 : head.find(b"\r\n", at) if head.find(b"\r\n", at) > 0 else None]) if at >= 0 else 0
        if len(self.buf) < head_end + 4 + length:
            return
        status = int(self.buf[9:12])
        self.buf = self.buf[head_end + 4 + length :]
        if not self.waiter.done():
            self.waiter.set_result(status)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("closed"))

    async def request(self, data: bytes) -> int:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return await self.waiter


async def _post_all(
    server_url: str, tokens: list[str], targets: list[dict[str, Any]], rate: float, seconds: float, warmup: float = 0.0, connections: int = 32
) -> dict[str, Any]:
    """POST /api/v1/inbound `rate` times a second for `seconds`, on a pool of keep-alive
    connections; each body carries the marker the subscribers time. First, `warmup`
    seconds at the same rate on the same connections, whose bodies carry a marker the
    subscribers do not time (`WARM_MARK`), then a pause of `WARMUP_PAUSE_S`."""
    from urllib.parse import urlsplit

    loop = asyncio.get_running_loop()
    parts = urlsplit(server_url)
    host, port = parts.hostname, parts.port
    total = int(rate * seconds)
    statuses: dict[int, int] = {}
    done_at: list[float] = []
    idle: asyncio.Queue[_Poster] = asyncio.Queue()

    async def connect() -> _Poster:
        _, conn = await loop.create_connection(_Poster, host, port)
        return conn

    for _ in range(connections):
        idle.put_nowait(await connect())

    async def post(n: int, timed: bool) -> None:
        target = targets[n % len(targets)]
        conn = await idle.get()
        sent = time.monotonic()
        mark = (MARK if timed else WARM_MARK).decode()
        body = json.dumps(
            {"channel": target["channel"], "client_id": target["client_id"], "body": f"Could you hold the piece for me? {mark}{sent:.6f}/{n}/{1 if target['tokyo'] else 0};"}
        ).encode()
        request = (
            f"POST /api/v1/inbound HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {tokens[n % len(tokens)]}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body
        try:
            status = await conn.request(request)
        except (ConnectionError, OSError):
            status = 0
            conn = await connect()
        if timed:
            statuses[status] = statuses.get(status, 0) + 1
            done_at.append(time.monotonic())
        idle.put_nowait(conn)

    async def paced(count: int, timed: bool) -> float:
        """`count` posts, `rate` a second; returns when the first was due."""
        start = time.monotonic()
        tasks = []
        for n in range(count):
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(post(n, timed)))
        await asyncio.gather(*tasks)
        return start

    if warmup > 0:
        await paced(int(rate * warmup), timed=False)
        await asyncio.sleep(WARMUP_PAUSE_S)
    start = await paced(total, timed=True)
    while not idle.empty():
        conn = idle.get_nowait()
        if conn.transport is not None:
            conn.transport.close()
    ok = statuses.get(201, 0)
    return {
        "total": total,
        "ok": ok,
        "statuses": statuses,
        "tokyo": sum(1 for n in range(total) if targets[n % len(targets)]["tokyo"]),
        "rate": ok / max(1e-9, max(done_at) - start),
        "seconds": max(done_at) - start,
    }


def measure_fanout(server: ServerProcess, url: str, scale: dict[str, Any], tmp: Path, label: str, log: Log) -> list[dict[str, Any]]:
    from urllib.parse import urlsplit

    n_subs = scale["subscribers"]
    targets, head = _fanout_targets(url)
    accounts = [(u, True) for u in TYO_ADVISORS] + [("supervisor", False)]
    per_account = {u: 0 for u, _ in accounts}
    plan: list[tuple[str, bool]] = []
    for i in range(n_subs):
        u, is_adv = accounts[i % len(accounts)]
        plan.append((u, is_adv))
        per_account[u] += 1
    tokens = {u: _tokens(server.url, u, max(1, -(-count // SUBSCRIBERS_PER_TOKEN))) for u, count in per_account.items() if count}
    used = {u: 0 for u in tokens}
    subs = []
    for u, is_adv in plan:
        tok = tokens[u][used[u] // SUBSCRIBERS_PER_TOKEN]
        used[u] += 1
        subs.append({"token": tok, "advisor": is_adv})
    post_tokens = _tokens(server.url, "channel-sim", POST_TOKENS if scale["rate"] > 40 else 2)
    parts = urlsplit(server.url)
    children = []
    env = dict(os.environ, PYTHONPATH=str(ROOT.parent) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for c in range(scale["children"]):
        out = tmp / f"fanout-{c}.json"
        proc = subprocess.Popen([sys.executable, "-c", _CHILD.format(root=str(ROOT.parent))], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        config = {"host": parts.hostname, "port": parts.port, "after": head, "subs": subs[c :: scale["children"]], "out": str(out)}
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(config) + "\n")
        proc.stdin.flush()
        children.append((proc, out))
    t = time.perf_counter()
    opened = 0
    for proc, _ in children:
        assert proc.stdout is not None
        line = proc.stdout.readline().split()
        opened += int(line[1]) if len(line) == 2 else 0
    log(f"{label} fan-out: {opened}/{n_subs} streams open in {time.perf_counter() - t:.1f} s; posting {scale['rate']}/s for {scale['seconds']:.0f} s")
    posted = asyncio.run(_post_all(server.url, post_tokens, targets, scale["rate"], scale["seconds"], warmup=WARMUP_S))
    time.sleep(GRACE_S)
    lat: list[float] = []
    sub_results: list[dict[str, Any]] = []
    for proc, out in children:
        assert proc.stdin is not None
        proc.stdin.write("stop\n")
        proc.stdin.flush()
        proc.wait(60)
        data = json.loads(out.read_text())
        lat += data["lat"]
        sub_results += data["subs"]
    expected = sum(posted["tokyo"] if s["advisor"] else posted["ok"] for s in sub_results)
    delivered = sum(s["count"] - s["leaks"] for s in sub_results)
    leaks = sum(s["leaks"] for s in sub_results)
    bad = sorted({s["status"] for s in sub_results if not s["status"].startswith("HTTP/1.1 200")})
    log(f"{label} fan-out: posted {posted}, delivered {delivered}/{expected}, leaks {leaks}, refused {bad}")
    note = f"{opened} subscribers, {len(lat):,} deliveries"
    rows = []
    if lat:
        p50, p99 = _p(lat, 50), _p(lat, 99)
        log(f"{label} fan-out latency: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(lat):.1f} ms")
        rows += [
            _row(f"{label}: SSE fan-out latency p50", p50, "ms", None, None, note),
            _row(f"{label}: SSE fan-out latency p99", p99, "ms", FANOUT_MS, p99 <= FANOUT_MS and delivered == expected, note + f", max {max(lat):,.0f} ms"),
        ]
    else:
        rows.append(_row(f"{label}: SSE fan-out latency p99", None, "ms", FANOUT_MS, False, "nothing was delivered"))
    rows += [
        _row(f"{label}: SSE fan-out, posts achieved", posted["rate"], "/s", None, None, f"{posted['ok']}/{posted['total']} posts 201 in {posted['seconds']:.1f} s, asked {scale['rate']}/s"),
        _row(
            f"{label}: SSE fan-out, deliveries made",
            100.0 * delivered / max(1, expected),
            "%",
            None,
            delivered == expected and leaks == 0 and not bad,
            f"{delivered:,}/{expected:,} within {GRACE_S:.0f} s of the last post; leaks {leaks}" + (f"; refused {bad}" if bad else ""),
        ),
    ]
    return rows


# ---- 3. catch-up --------------------------------------------------------------------------


def grow_log(url: str, template: int, total: int, log: Log, label: str) -> tuple[int, int, dict[str, float]]:
    """Add `total` events (see the module docstring). Returns (seq before, head after, timings)."""
    from sqlalchemy import func, select, text
    from sqlmodel import Session

    from advisor_console.domain.models import InboundIn, MessageIn, MessageKind
    from advisor_console.server import eventlog, services
    from advisor_console.server.db import make_engine, writer
    from advisor_console.server.tables import AdvisorRow, ConversationRow, EventRow

    engine = make_engine(url)
    timings: dict[str, float] = {}
    try:
        with Session(engine) as session:
            before = session.execute(select(func.max(EventRow.seq))).scalar() or 0
            convs = session.execute(select(ConversationRow).where(ConversationRow.status != "resolved").order_by(ConversationRow.id).limit(400)).scalars().all()
            convs = [(c.id, c.client_id, c.channel) for c in convs]
            sup = session.execute(select(AdvisorRow).where(AdvisorRow.username == "supervisor")).scalar_one().to_model()
            channel = session.execute(select(AdvisorRow).where(AdvisorRow.username == "channel-sim")).scalar_one().to_model()
        w = writer(engine)
        rng = random.Random(5)
        t = time.perf_counter()
        made = 0
        while made < min(template, total):
            batch = min(50, min(template, total) - made)

            def ops(session: Session, start: int = made, batch: int = batch) -> tuple[int, dict[str, Any]]:
                result: tuple[int, dict[str, Any]] = (200, {})
                for i in range(start, start + batch):
                    conv_id, client_id, chan = convs[rng.randrange(len(convs))]
                    body = f"Catch-up message {i}: " + " ".join(rng.choice(("the", "bag", "in", "blue", "size", "thirty-six", "Tokyo", "appointment")) for _ in range(rng.randint(4, 30)))
                    if i % 2:
                        result = services.inbound(session, channel, InboundIn(channel=chan, client_id=client_id, body=body))
                    else:
                        result = services.post_message(session, sup, conv_id, MessageIn(body=body, kind=MessageKind.note), None)
                return result

            services.run_write(w, ops)
            made += batch
        with Session(engine) as session:
            head = session.execute(select(func.max(EventRow.seq))).scalar() or 0
        real = head - before
        timings["template_s"] = time.perf_counter() - t
        t = time.perf_counter()
        cols = "type, at, actor, data, conversation_id, hub, assignee, prev_hub, prev_assignee"
        while head - before < total:
            n = min(real, total - (head - before))
            with Session(w) as session:
                eventlog.serialise_writes(session)
                session.execute(
                    text(f"INSERT INTO event (seq, {cols}) SELECT seq + :shift, {cols} FROM event WHERE seq > :lo AND seq <= :hi"),
                    {"shift": head - before, "lo": before, "hi": before + n},
                )
                session.commit()
            head += n
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE event")
        timings["copy_s"] = time.perf_counter() - t
    finally:
        engine.dispose()
    log(f"{label} log: {real:,} events through services in {timings['template_s']:.1f} s, copied to {head - before:,} in {timings['copy_s']:.1f} s")
    return before, head, timings


async def _catch_up(server_url: str, token: str, after: int, head: int) -> tuple[float, int, int]:
    from advisor_console.client.api import ApiClient
    from advisor_console.client.sync import event_pages  # the sync engine's reader: its page, check and pipelining

    api = ApiClient(server_url, token)
    count, pages = 0, 0
    try:
        t0 = time.perf_counter()
        async for events, cursor in event_pages(api, after):
            count += len(events)
            pages += 1
            if cursor >= head:
                break
        return time.perf_counter() - t0, count, pages
    finally:
        await api.aclose()


def measure_catchup(server: ServerProcess, before: int, head: int, label: str, log: Log, profile: bool = False) -> list[dict[str, Any]]:
    from advisor_console.client.sync import CATCH_UP_PAGE

    rows = []
    for username in ("supervisor", "advisor"):
        token = _tokens(server.url, username, 1)[0]
        asyncio.run(_catch_up(server.url, token, head - 1, head))  # connection and caches warm
        seconds, count, pages = asyncio.run(_catch_up(server.url, token, before, head))
        log(f"{label} catch-up as {username}: {count:,} events in {seconds:.2f} s ({pages} pages)")
        note = f"{count:,} events, {pages} pages of {CATCH_UP_PAGE}, {count / seconds:,.0f} events/s"
        if username == "supervisor":
            rows.append(_row(f"{label}: catch-up of {head - before:,} events (supervisor)", seconds, "s", CATCHUP_S, seconds <= CATCHUP_S, note))
        else:
            rows.append(_row(f"{label}: catch-up, Tokyo advisor (filtered)", seconds, "s", None, None, note))
    return rows


# ---- entry points ------------------------------------------------------------------------

_BACKENDS = (("sqlite", "SQLite"), ("postgresql", "PostgreSQL"))


def _unmeasured(label: str, note: str) -> list[dict[str, Any]]:
    return [
        _row(f"{label}: lookbook search, server side p95", None, "ms", SEARCH_MS, None, note),
        _row(f"{label}: lookbook search, HTTP round trip p95", None, "ms", None, None, note),
        _row(f"{label}: SSE fan-out latency p99", None, "ms", FANOUT_MS, None, note),
        _row(f"{label}: catch-up of events (supervisor)", None, "s", CATCHUP_S, None, note),
    ]


PARTS = ("search", "fanout", "catchup")


def run_backend(kind: str, label: str, scale: dict[str, Any], log: Log, timings: dict[str, float], parts: tuple[str, ...] = PARTS) -> list[dict[str, Any]]:
    tmp = Path(tempfile.mkdtemp(prefix=f"ac-bench-server-{kind}-"))
    rows: list[dict[str, Any]] = []
    try:
        with database(kind, tmp) as url:
            seconds = seed_database(url, scale)
            timings[f"{kind}_seed_s"] = seconds
            log(f"{label}: migrated and seeded in {seconds:.1f} s")
            if "search" in parts:
                queries = search_queries(url, scale["queries"])
                rows += measure_search(url, queries, scale["rounds"], label, log)
            server = ServerProcess.start(url, tmp)
            try:
                if "search" in parts:
                    rows += measure_search_http(server.url, _tokens(server.url, "advisor", 1)[0], queries, label, log)
                if "fanout" in parts:
                    rows += measure_fanout(server, url, scale, tmp, label, log)
                if "catchup" in parts:
                    before, head, grow = grow_log(url, scale["template"], scale["catchup"], log, label)
                    timings.update({f"{kind}_{k}": v for k, v in grow.items()})
                    rows += measure_catchup(server, before, head, label, log)
            finally:
                server.stop()
    except Unreachable as exc:
        log(f"{label}: {exc}")
        rows = _unmeasured(label, PG_UNREACHABLE)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def run(quick: bool = False, log: Callable[[str], None] | None = None, only: list[str] | None = None, backends: list[str] | None = None) -> list[dict[str, Any]]:
    """Seed each database, measure, clean up. Returns the rows (also written to results/server.json).

    `only` (some of PARTS) and `backends` (some of "sqlite", "postgresql") narrow the run
    for iterating on one measurement (`--only`, `--backend`); by default (and from
    `python -m benchmarks`) all of them run."""
    parts = tuple(only or PARTS)
    backends = tuple(backends or (k for k, _ in _BACKENDS))
    log = log or (lambda line: print(f"[server] {line}", file=sys.stderr, flush=True))
    scale = QUICK if quick else FULL
    started = time.perf_counter()
    timings: dict[str, float] = {}
    rows: list[dict[str, Any]] = []
    for kind, label in _BACKENDS:
        if kind in backends:
            rows += run_backend(kind, label, scale, log, timings, parts)
    scale_note = (
        f"{scale['clients']:,} clients, {scale['products']:,} products, {scale['conversations']:,} open conversations; "
        f"{scale['subscribers']} SSE subscribers, {scale['rate']} posts/s for {scale['seconds']:g} s; catch-up of {scale['catchup']:,} events"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "suite": "server",
                "quick": quick,
                "parts": list(parts),
                "backends": list(backends),
                "scale": scale_note,
                "seconds": round(time.perf_counter() - started, 1),
                "setup": {k: round(v, 2) for k, v in timings.items()},
                "machine": machine(pg_version()),
                "rows": rows,
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    return suite_main(
        "python -m benchmarks.server",
        "The server's benchmarks: lookbook search, SSE fan-out, catch-up.",
        run, RESULTS, ROOT, argv, parts=PARTS, backends=tuple(k for k, _ in _BACKENDS),
    )


if __name__ == "__main__":
    sys.exit(main())
