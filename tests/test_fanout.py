"""The SSE fan-out of one server process (server/fanout.py, eventlog.LogTail.page): pages
built once per visibility class, several events in one write, a slow reader that does not
hold the others back; the SQLite write lock of the process; the auth cache."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import httpx
import pytest

from advisor_console.domain.models import Advisor, Role
from advisor_console.server.eventlog import EventBus, LogTail
from advisor_console.server.fanout import StreamHub, _Stream

from conftest import LiveServer
from support import table_t_and_state, write_while_held


def _advisor(username: str, hub: str, role: Role = Role.advisor) -> Advisor:
    return Advisor(id=abs(hash(username)) % 10_000, username=username, name=username, hub=hub, role=role)


def _frame(seq: int, hub: str | None) -> str:
    return f"id: {seq}\nevent: message.created\ndata: {json.dumps({'seq': seq, 'hub': hub})}\n\n"


def _tail(events: list[tuple[int, str | None]], lo: int = 0) -> LogTail:
    """A tail holding `events` (seq, hub), as a refresh would have left it; no database."""
    tail = LogTail(engine=None)
    tail.lo, tail.version = lo, 10**9  # refresh(version) is then a no-op
    for seq, hub in events:
        tail.seqs.append(seq)
        tail.items.append((hub, None, None, None, _frame(seq, hub)))
    tail.head = events[-1][0] if events else lo
    return tail


def _add(tail: LogTail, events: list[tuple[int, str | None]]) -> None:
    for seq, hub in events:
        tail.seqs.append(seq)
        tail.items.append((hub, None, None, None, _frame(seq, hub)))
    tail.head = events[-1][0]


def _seqs(chunk: bytes) -> list[int]:
    """The ids of the event frames of a chunk (not of its cursor frame)."""
    return [int(f.split("\n", 1)[0][4:]) for f in chunk.decode().split("\n\n") if f.startswith("id: ") and "\nevent: cursor\n" not in f + "\n"]


def _cursor(chunk: bytes) -> int | None:
    """The seq of the chunk's cursor frame, if it ends with one."""
    frames = [f for f in chunk.decode().split("\n\n") if f]
    return int(frames[-1].split("\n", 1)[0][4:]) if frames and "\nevent: cursor" in frames[-1] else None


def test_a_page_is_built_once_per_class_and_filters_by_hub() -> None:
    tail = _tail([(11, "TYO"), (12, "FLR"), (13, None), (14, "TYO")], lo=10)
    tyo, tyo2, flr = _advisor("a", "TYO"), _advisor("b", "TYO"), _advisor("c", "FLR")
    sup = _advisor("s", "FLR", Role.supervisor)
    chunk, last, full = tail.page(10, LogTail.class_of(tyo), tyo)
    assert _seqs(chunk) == [11, 13, 14] and last == 14 and not full  # several events, one chunk
    assert tail.page(10, LogTail.class_of(tyo), tyo) is tail.page(10, LogTail.class_of(tyo), tyo)  # built once
    assert _seqs(tail.page(10, LogTail.class_of(tyo2), tyo2)[0]) == [11, 13, 14]  # her own class: her username counts
    assert _seqs(tail.page(10, LogTail.class_of(flr), flr)[0]) == [12, 13]
    # The page reaches past its last frame (14 is not hers): a cursor frame says so.
    assert _cursor(tail.page(10, LogTail.class_of(flr), flr)[0]) == 14
    assert _cursor(tail.page(10, LogTail.class_of(tyo), tyo)[0]) is None
    assert _seqs(tail.page(10, LogTail.class_of(sup), sup)[0]) == [11, 12, 13, 14]
    assert LogTail.class_of(sup) == LogTail.class_of(_advisor("t", "TYO", Role.trainer))
    assert _seqs(tail.page(12, LogTail.class_of(flr), flr)[0]) == [13]  # by cursor too
    # Only filtered-out events: the cursor frame alone.
    assert tail.page(13, LogTail.class_of(flr), flr) == (b'id: 14\nevent: cursor\ndata: {"last_seq": 14}\n\n', 14, False)
    # A page is at most `limit` events; the rest follows.
    chunk, last, full = tail.page(10, LogTail.class_of(sup), sup, limit=2)
    assert _seqs(chunk) == [11, 12] and last == 12 and full
    # The tail grew: pages are built afresh.
    _add(tail, [(15, "FLR")])
    assert _seqs(tail.page(10, LogTail.class_of(flr), flr)[0]) == [12, 13, 15]
    # Older than the tail: the stream must read the log itself.
    assert tail.page(9, LogTail.class_of(flr), flr) is None


def test_the_broadcaster_writes_each_batch_once_and_a_slow_reader_holds_no_one_back() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        bus = EventBus()
        tail = _tail([(1, "TYO")], lo=0)
        hub = StreamHub(bus, tail, loop)
        fast: list[bytes] = []
        slow: list[bytes] = []
        flr: list[bytes] = []
        gate = loop.create_future()

        async def send_fast(message: dict[str, Any]) -> None:
            fast.append(message["body"])

        async def send_flr(message: dict[str, Any]) -> None:
            flr.append(message["body"])

        async def send_slow(message: dict[str, Any]) -> None:
            if not gate.done():
                await gate  # its connection's buffer is full until the gate opens
            slow.append(message["body"])

        streams = [
            _Stream(_advisor("a", "TYO"), 1, send_fast, hub),
            _Stream(_advisor("b", "TYO"), 1, send_slow, hub),
            _Stream(_advisor("c", "FLR"), 1, send_flr, hub),
        ]
        for s in streams:
            hub.join(s)

        async def until(check: Any) -> None:
            for _ in range(200):
                if check():
                    return
                await asyncio.sleep(0.01)
            raise AssertionError("not delivered")

        _add(tail, [(2, "TYO"), (3, "FLR")])
        bus.notify()
        await until(lambda: fast and flr and streams[1].busy)
        assert [_seqs(b) for b in fast] == [[2]] and [_seqs(b) for b in flr] == [[3]]
        _add(tail, [(4, "TYO")])
        _add(tail, [(5, "TYO")])
        bus.notify()
        await until(lambda: len(fast) == 2)  # the slow one's write is still pending
        assert _seqs(fast[1]) == [4, 5]
        await until(lambda: len(flr) == 2)
        assert flr[1] == b'id: 5\nevent: cursor\ndata: {"last_seq": 5}\n\n'  # only others' events: how far to advance
        assert slow == []
        gate.set_result(None)
        await until(lambda: len(slow) == 2)
        assert [_seqs(b) for b in slow] == [[2], [4, 5]]  # what it missed: one write
        assert all(s.cursor == 5 for s in streams)
        for s in streams:
            s.close()
        await asyncio.sleep(0)

    asyncio.run(main())


def _read_stream(url: str, headers: dict[str, str], after: int, until_seq: int, out: dict[str, Any], key: str) -> None:
    ids: list[int] = []
    hubs: list[str | None] = []
    with httpx.stream("GET", f"{url}/api/v1/events/stream", params={"after": after}, headers=headers, timeout=20) as r:
        event_id = 0
        for line in r.iter_lines():
            if line.startswith("id: "):
                event_id = int(line[4:])
            elif line.startswith("event: cursor"):
                ids.append(-event_id)
            elif line.startswith("data: ") and event_id and event_id not in ids:
                data = json.loads(line[6:])
                if "seq" in data:
                    ids.append(event_id)
                    hubs.append((data["data"].get("conversation") or {}).get("hub"))
            elif line == "" and event_id >= until_seq:  # the end of the last frame
                break
    out[key] = (ids, hubs)


def test_the_broadcaster_writes_through_the_direct_send_and_passes_are_spaced() -> None:
    """A stream given the server's own `send` (fanout.DirectSend) gets the broadcaster's
    writes through it, not through the middlewares' wrapped one; commits that come close
    together go out in one write."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        bus = EventBus()
        tail = _tail([(1, "TYO")], lo=0)
        hub = StreamHub(bus, tail, loop)
        wrapped: list[bytes] = []
        direct: list[bytes] = []

        async def send_wrapped(message: dict[str, Any]) -> None:
            wrapped.append(message["body"])

        async def send_direct(message: dict[str, Any]) -> None:
            direct.append(message["body"])

        stream = _Stream(_advisor("a", "TYO"), 1, send_wrapped, hub, send_direct)
        hub.join(stream)
        await asyncio.sleep(0.05)
        _add(tail, [(2, "TYO")])
        bus.notify()
        await asyncio.sleep(0.001)
        _add(tail, [(3, "TYO")])  # within the pass gap of the first
        bus.notify()
        _add(tail, [(4, "TYO")])
        bus.notify()
        for _ in range(100):
            if stream.cursor == 4:
                break
            await asyncio.sleep(0.01)
        assert wrapped == []
        assert [_seqs(b) for b in direct] == [[2], [3, 4]]
        stream.close()
        await asyncio.sleep(0)

    asyncio.run(main())


def test_streams_of_several_classes_get_what_they_may_see_once_in_order(live_server: LiveServer) -> None:
    sup = live_server.account("supervisor")["username"]
    tyo = live_server.account("advisor", "TYO")
    other = next(a for a in live_server.accounts if a["role"] == "advisor" and a["hub"] != "TYO")
    with httpx.Client(base_url=live_server.url, headers=live_server.headers(sup), timeout=10) as c:
        head = c.get("/api/v1/events", params={"after": 0, "limit": 5000}).json()["last_seq"]
        convs = c.get("/api/v1/conversations", params={"limit": 200}).json()["items"]
    by_hub = {h: [cv for cv in convs if cv["hub"] == h and cv["status"] != "resolved"] for h in ("TYO", other["hub"])}
    targets = by_hub["TYO"][:2] + by_hub[other["hub"]][:2]
    assert len(targets) == 4
    readers = [(sup, "sup"), (tyo["username"], "tyo1"), (tyo["username"], "tyo2"), (other["username"], "other")]
    out: dict[str, Any] = {}
    # Streams open from the head; the posts come after.
    threads = []
    n = 12
    with httpx.Client(base_url=live_server.url, headers=live_server.headers("channel-sim"), timeout=10) as ch:
        # Each post appends one event (message.created) to an open conversation.
        expected_last = head + n
        for user, key in readers:
            t = threading.Thread(target=_read_stream, args=(live_server.url, live_server.headers(user), head, expected_last, out, key))
            t.start()
            threads.append(t)
        import time

        time.sleep(0.5)
        for i in range(n):
            cv = targets[i % 4]
            ch.post("/api/v1/inbound", json={"channel": cv["channel"], "client_id": cv["client_id"], "body": f"fan-out {i}"}).raise_for_status()
    for t in threads:
        t.join(30)
    sup_ids, sup_hubs = out["sup"]
    assert [i for i in sup_ids if i > 0] == list(range(head + 1, head + n + 1))  # everything, once, in order
    for key, hub in (("tyo1", "TYO"), ("tyo2", "TYO"), ("other", other["hub"])):
        ids, hubs = out[key]
        seen = [i for i in ids if i > 0]
        assert seen == sorted(set(seen)), key
        assert set(hubs) == {hub}, key  # nothing of another hub
        assert len(seen) == n // 2, key
    assert [i for i in out["tyo1"][0] if i > 0] == [i for i in out["tyo2"][0] if i > 0]


def test_sqlite_writers_of_one_process_queue_and_the_lock_is_always_released(tmp_path: Any) -> None:
    from sqlalchemy import text
    from sqlmodel import Session

    from advisor_console.server.db import make_engine, writer

    engine = make_engine(f"sqlite:///{tmp_path / 'w.sqlite'}")
    w = writer(engine)
    with w.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")

    def work() -> None:
        for _ in range(30):
            with w.begin() as conn:
                conn.exec_driver_sql("INSERT INTO t VALUES (1)")

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    with pytest.raises(Exception):
        with w.begin() as conn:  # a failed statement: rolled back, lock released
            conn.exec_driver_sql("INSERT INTO nowhere VALUES (1)")
    with Session(w) as session:  # a session closed without commit: rolled back, released
        session.execute(text("INSERT INTO t VALUES (2)"))
    done = threading.Event()

    def last() -> None:
        with w.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (3)")
        done.set()

    threading.Thread(target=last).start()
    assert done.wait(10), "the write lock was not released"
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*), sum(x) FROM t").one() == (241, 243)
    engine.dispose()


def test_an_async_route_writes_on_the_loop_when_sqlite_is_free_else_in_a_thread(tmp_path: Any) -> None:
    """deps.run_write: on SQLite with nobody else writing, the write runs on the event
    loop's own thread; while another thread of the process, or another process, holds the
    write lock, the loop's engine refuses at once (nothing written) and the write is made
    in a worker thread, the loop free all the while."""
    import sqlite3

    from advisor_console.server.db import WouldWait, checkpoint, make_engine, writer
    from advisor_console.server.deps import run_write

    path = tmp_path / "r.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    state, op, ran_on = table_t_and_state(engine, make_engine(f"sqlite:///{path}", nowait=True, write_lock=engine.sqlite_write_lock))
    loop_engine = state.loop_write_engine

    def another_thread(held: threading.Event, release: threading.Event) -> None:
        with writer(engine).begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (2)")
            held.set()
            release.wait(10)

    def another_process(held: threading.Event, release: threading.Event) -> None:
        other = sqlite3.connect(path, isolation_level=None)  # not through this process's lock
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO t VALUES (3)")
        held.set()
        release.wait(10)
        other.execute("COMMIT")
        other.close()

    async def main() -> None:
        assert await run_write(state, op) == (201, {})
        assert ran_on[-1] == threading.get_ident()
        await write_while_held(state, op, another_thread, ran_on)
        await write_while_held(state, op, another_process, ran_on)
        assert await run_write(state, op) == (201, {})  # free again: on the loop
        assert ran_on[-1] == threading.get_ident()

    asyncio.run(main())
    with pytest.raises(WouldWait):  # what the loop's engine does when it would have to wait
        with engine.sqlite_write_lock, loop_engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (9)")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*), sum(x) FROM t").one() == (6, 9)
    # The loop's commits never checkpoint the WAL (an fsync on the loop); the background does.
    with loop_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    for _ in range(1200):  # more than the 1,000 pages after which a connection would checkpoint
        with loop_engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (0)")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar() == 1206
    log, done = checkpoint(engine)
    assert log >= 1200 and done == log
    engine.dispose()
    loop_engine.dispose()


def test_the_auth_cache_sees_a_change_of_this_process_at_once(live_server: LiveServer) -> None:
    tyo = live_server.account("advisor", "TYO")["username"]
    with httpx.Client(base_url=live_server.url, headers=live_server.headers(tyo), timeout=10) as c:
        assert c.get("/api/v1/me").json()["status"] == "available"  # now cached
        c.post(f"/api/v1/advisors/{tyo}", json={"status": "away"}).raise_for_status()
        assert c.get("/api/v1/me").json()["status"] == "away"
        c.post(f"/api/v1/advisors/{tyo}", json={"status": "available"}).raise_for_status()
        assert c.get("/api/v1/me").json()["status"] == "available"
    assert httpx.get(f"{live_server.url}/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_a_poke_wakes_only_the_waiters_of_its_key_and_a_commit_wakes_all() -> None:
    """EventBus: the broadcaster's pokes (presence, a finished slow write) wake it alone; the
    web chat's visitor streams, waiting under the default key, sleep on until the log grows."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        bus = EventBus()
        visitor = asyncio.ensure_future(bus.wait(5.0))
        broadcaster = asyncio.ensure_future(bus.wait(5.0, key="sse"))
        await asyncio.sleep(0.01)
        bus.poke(loop, "sse")
        assert await asyncio.wait_for(broadcaster, 1.0) is True
        await asyncio.sleep(0.05)
        assert not visitor.done()
        again = asyncio.ensure_future(bus.wait(5.0, key="sse"))
        await asyncio.sleep(0.01)
        bus.notify()
        assert await asyncio.wait_for(visitor, 1.0) is True and await asyncio.wait_for(again, 1.0) is True

    asyncio.run(main())


def test_the_tail_reads_on_the_loop_with_its_own_engine_and_in_a_thread_when_that_fails(tmp_path: Any) -> None:
    """LogTail.refresh: with a loop engine (db.make_loop_reader, where the database is on this
    machine) the new events are read on the event loop's thread; when that read fails (a
    dead connection), they are read in a worker thread on the tail's pinged engine, and
    nothing is missed either way."""
    from sqlalchemy import event
    from sqlmodel import Session

    from advisor_console.server import eventlog
    from advisor_console.server.db import make_engine, make_loop_reader, migrate, writer

    url = f"sqlite:///{tmp_path / 't.sqlite'}"
    migrate(url)
    engine = make_engine(url)
    tail = LogTail(engine)
    tail.loop_engine = make_loop_reader(url)
    read_on: list[tuple[str, int]] = []
    for name, e in (("pinged", engine), ("loop", tail.loop_engine)):
        event.listen(e, "before_cursor_execute", lambda _c, _k, sql, *_a, name=name: sql.startswith("SELECT") and read_on.append((name, threading.get_ident())))

    def append(count: int) -> None:
        with Session(writer(engine)) as session:
            for i in range(count):
                eventlog.append(session, "note.created", "test", {"i": i}, hub="TYO")
            session.commit()

    async def main() -> None:
        loop_thread = threading.get_ident()
        await tail.refresh(1)  # the first read: where the head is
        append(3)
        await tail.refresh(2)
        assert tail.seqs == [1, 2, 3] and read_on and all(r == ("loop", loop_thread) for r in read_on)
        read_on.clear()

        def broken(*_a: Any, **_k: Any) -> None:
            raise RuntimeError("connection lost")

        event.listen(tail.loop_engine, "before_cursor_execute", broken)
        append(2)
        await tail.refresh(3)
        assert tail.seqs == [1, 2, 3, 4, 5] and tail.head == 5
        assert any(name == "pinged" and thread != loop_thread for name, thread in read_on)

    try:
        asyncio.run(main())
    finally:
        engine.dispose()
        tail.loop_engine.dispose()
