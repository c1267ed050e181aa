"""Catch-up of a long log: the page the server builds directly (eventlog.read_after_json),
the sync engine's page size, and the client's JSON parsing (client.api.loads)."""

from __future__ import annotations

import gc
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from advisor_console.client import sync
from advisor_console.client.api import ApiClient, ApiError, loads
from advisor_console.client.cache import LocalCache
from advisor_console.domain.models import Advisor, EventsPage, Role
from advisor_console.server import eventlog
from advisor_console.server.db import make_engine, writer
from advisor_console.server.tables import EventRow
from conftest import BOTH_DATABASES, LiveServer

SERVER_MAX_LIMIT = 5000  # GET /api/v1/events: limit <= 5000 (routes/events.py)


def _reader(role: Role, username: str = "reader", hub: str = "TYO") -> Advisor:
    return Advisor(id=999, username=username, name="Reader", hub=hub, role=role, languages=[], status="available", capacity=6)


def _append_odd_events(database_url: str) -> int:
    """Events whose fields the direct JSON must render exactly as the models do: times with
    no fraction, a fraction with trailing zeros, a zone other than UTC; quotes, backslashes,
    control characters and other scripts in type and actor; a null payload. Returns the seq
    of the first."""
    engine = make_engine(database_url)
    try:
        with Session(writer(engine)) as session:
            first = None
            cases: list[tuple[str, str, Any, datetime]] = [
                ("note.created", "plain", {"a": 1}, datetime(2026, 3, 1, 9, 30, 0, tzinfo=timezone.utc)),
                ("note.created", 'quo"te\\back', {"t": "x"}, datetime(2026, 3, 1, 9, 30, 0, 500000, tzinfo=timezone.utc)),
                ("type/é", "西園寺\n\t\u2028", {"nested": {"k": [1, 2.5, None]}}, datetime(2026, 3, 1, 18, 30, 0, 120, tzinfo=timezone(timedelta(hours=9)))),
                ("note.created", "nulls", None, datetime(2026, 3, 1, 0, 0, 0, 1, tzinfo=timezone.utc)),
                ("note.created", "empty", {}, datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc)),
            ]
            for type_, actor, data, at in cases:
                seq = eventlog.append(session, type_, actor, data, at=at, hub="TYO")
                first = first or seq
            session.commit()
        return int(first)
    finally:
        engine.dispose()


@BOTH_DATABASES
def test_direct_page_is_the_document_of_the_models(database_url: str) -> None:
    """read_after_json gives the document that serialising read_after's models gives, for
    every reader, on both databases (seeded events and odd ones)."""
    first = _append_odd_events(database_url)
    engine = make_engine(database_url)
    try:
        for reader in (_reader(Role.supervisor), _reader(Role.advisor), _reader(Role.advisor, hub="FLR")):
            for after, limit in ((0, 5000), (0, 7), (first - 2, 3), (first - 1, 100), (10**9, 10)):
                with Session(engine) as session:
                    events, last = eventlog.read_after(session, after, limit, reader)
                    expected = json.loads(EventsPage(events=events, last_seq=last).model_dump_json())
                with Session(engine) as session:
                    body = eventlog.read_after_json(session, after, limit, reader)[0]
                assert json.loads(body) == expected, (reader.role, reader.hub, after, limit)
        with Session(engine) as session:
            odd = json.loads(eventlog.read_after_json(session, first - 1, 100, _reader(Role.supervisor))[0])["events"]
        assert [e["at"] for e in odd] == [
            "2026-03-01T09:30:00Z",
            "2026-03-01T09:30:00.500000Z",
            "2026-03-01T09:30:00.000120Z",
            "2026-03-01T00:00:00.000001Z",
            "1999-12-31T23:59:59.999999Z",
        ]
        assert odd[3]["data"] == {} and odd[1]["actor"] == 'quo"te\\back' and odd[2]["actor"] == "西園寺\n\t\u2028"
    finally:
        engine.dispose()


def _grow(database_url: str, count: int) -> int:
    """`count` more events (a few hubs, some about no conversation); returns the head."""
    engine = make_engine(database_url)
    try:
        with Session(writer(engine)) as session:
            for i in range(count):
                hub = (None, "TYO", "FLR", "NYC")[i % 4]
                eventlog.append(session, "note.created", "bench", {"i": i, "body": "x" * (i % 50)}, hub=hub, conversation_id=None if hub is None else 1 + i % 7)
            session.commit()
        with Session(engine) as session:
            return int(session.execute(select(func.max(EventRow.seq))).scalar() or 0)
    finally:
        engine.dispose()


def test_the_sync_engines_page_is_one_the_server_gives(live_server: LiveServer) -> None:
    """The sync engine's page is within the server's limit (above it, every catch-up would be
    refused); a reader asking for fewer gets fewer; one more than the limit is refused."""
    assert sync.CATCH_UP_PAGE <= SERVER_MAX_LIMIT
    headers = live_server.headers("supervisor")
    ok = httpx.get(f"{live_server.url}/api/v1/events", params={"after": 0, "limit": sync.CATCH_UP_PAGE}, headers=headers)
    assert ok.status_code == 200
    few = httpx.get(f"{live_server.url}/api/v1/events", params={"after": 0, "limit": 3}, headers=headers).json()
    assert [e["seq"] for e in few["events"]] == [1, 2, 3] and few["last_seq"] == 3
    over = httpx.get(f"{live_server.url}/api/v1/events", params={"after": 0, "limit": SERVER_MAX_LIMIT + 1}, headers=headers)
    assert over.status_code == 422


@BOTH_DATABASES
async def test_catch_up_of_pages_larger_than_before_is_gapless(live_server: LiveServer, tmp_path: Path) -> None:
    """More than two full pages of the sync engine (5,000 events each, 2,000 before) behind:
    the engine reads them all, in order, without a gap, for a supervisor; an advisor gets
    exactly what the server's filter lets through, and its cursor reaches the head."""
    head = _grow(live_server.database_url, 2 * sync.CATCH_UP_PAGE + 1234)
    for username in ("supervisor", live_server.account("advisor", "TYO")["username"]):
        cache = LocalCache(tmp_path / f"{username}.sqlite")
        applied: list[dict[str, Any]] = []
        api = ApiClient(live_server.url, live_server.token(username))
        engine = sync.SyncEngine(api, cache, lambda events: applied.extend(e for e in events if isinstance(e.get("seq"), int)))
        try:
            await engine.catch_up()
        finally:
            await api.aclose()
        seqs = [e["seq"] for e in applied]
        assert engine.cursor == head and cache.cursor() == head
        assert seqs == sorted(set(seqs))
        if username == "supervisor":
            assert seqs == list(range(1, head + 1))
        else:
            check = httpx.get(f"{live_server.url}/api/v1/events", params={"after": head - 40, "limit": 40}, headers=live_server.headers(username)).json()
            assert [e["seq"] for e in check["events"]] == [s for s in seqs if s > head - 40]
            assert all(e["data"].get("i", 0) % 4 in (0, 1) for e in applied if e["actor"] == "bench")  # no hub, or TYO
        cache.close()


async def test_a_full_page_names_the_next_and_the_reader_asks_for_it_early(live_server: LiveServer) -> None:
    """A full page carries X-Next-After (the cursor after it, as in its body); the last,
    short page does not. `event_pages` asks for the named page while it reads the current
    one (several requests in flight), and yields the same pages as asking one by one."""
    head = _grow(live_server.database_url, 3 * 700 + 55)
    headers = live_server.headers("supervisor")
    first = httpx.get(f"{live_server.url}/api/v1/events", params={"after": 0, "limit": 700}, headers=headers)
    assert first.headers["x-next-after"] == str(first.json()["last_seq"]) == str(first.json()["events"][-1]["seq"])
    last = httpx.get(f"{live_server.url}/api/v1/events", params={"after": head - 10, "limit": 700}, headers=headers)
    assert "x-next-after" not in last.headers and last.json()["last_seq"] == head

    api = ApiClient(live_server.url, live_server.token("supervisor"))
    started: list[int] = []
    request_bytes = api.request_bytes

    async def counting(*args: Any, **kwargs: Any) -> Any:
        started.append(kwargs["params"]["after"])
        return await request_bytes(*args, **kwargs)

    api.request_bytes = counting  # type: ignore[method-assign]
    try:
        pages = [(len(events), cursor) async for events, cursor in sync.event_pages(api, 0, 700)]
    finally:
        await api.aclose()
    one_by_one, cursor = [], 0
    while True:
        page = httpx.get(f"{live_server.url}/api/v1/events", params={"after": cursor, "limit": 700}, headers=headers).json()
        one_by_one.append((len(page["events"]), page["last_seq"]))
        cursor = page["last_seq"]
        if len(page["events"]) < 700:
            break
    assert pages == one_by_one and pages[-1][1] == head
    assert started == [0, *(c for _, c in pages[:-1])]  # each page asked for once, from the header


async def test_the_collector_is_paused_while_pages_are_read_and_given_back_after(live_server: LiveServer) -> None:
    """`event_pages` keeps the cyclic collector off while the caller works on the pages (they
    are freed by reference counting, never walked), and turns it back on at the end, when
    the caller stops early, and on an error; if it was off already, it stays off."""
    _grow(live_server.database_url, 2 * 300 + 10)
    api = ApiClient(live_server.url, live_server.token("supervisor"))
    try:
        seen = []
        async for _events, _cursor in sync.event_pages(api, 0, 300):
            seen.append(gc.isenabled())
        assert seen and not any(seen) and gc.isenabled()

        pages = sync.event_pages(api, 0, 300)
        async for _ in pages:
            break  # the caller stops early
        assert not gc.isenabled()
        await pages.aclose()
        assert gc.isenabled()

        gc.disable()
        try:
            async for _ in sync.event_pages(api, 0, 300):
                pass
            assert not gc.isenabled()
        finally:
            gc.enable()

        async def refused(*args: Any, **kwargs: Any) -> Any:
            raise ApiError(503, "unavailable", "down")

        api.request_bytes = refused  # type: ignore[method-assign]
        with pytest.raises(ApiError):
            async for _ in sync.event_pages(api, 0, 300):
                pass
        assert gc.isenabled()
    finally:
        await api.aclose()


def test_loads_reads_what_json_reads() -> None:
    doc = {"events": [{"seq": 1, "type": "t", "at": "2026-01-01T00:00:00Z", "actor": "西園寺", "data": {"x": [1.5, None, True]}}], "last_seq": 1}
    raw = json.dumps(doc, ensure_ascii=False).encode()
    assert loads(raw) == doc
    # What orjson refuses and json accepts still parses, to json's values.
    assert loads(b'{"n": NaN, "big": 123456789012345678901234567890}')["big"] == 123456789012345678901234567890
    assert loads('{"a": 1}'.encode("utf-16")) == {"a": 1}
    for bad in (b"{", b"\xff\xfe\x00", b'{"events": [}', b""):
        with pytest.raises(ValueError):
            loads(bad)


def test_loads_leaves_the_collector_as_it_found_it() -> None:
    assert gc.isenabled()
    loads(b"[1, 2, 3]")
    assert gc.isenabled()
    with pytest.raises(ValueError):
        loads(b"[1, 2")
    assert gc.isenabled()
    gc.disable()
    try:
        loads(b"[1]")
        assert not gc.isenabled()
    finally:
        gc.enable()


async def test_a_page_that_is_not_json_is_a_bad_response() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b'{"events": [NaN', headers={"content-type": "application/json"})

    api = ApiClient("http://server.test", "t", transport=httpx.MockTransport(answer))
    with pytest.raises(ApiError) as info:
        await api.get_json("/api/v1/events", params={"after": 0, "limit": sync.CATCH_UP_PAGE})
    assert info.value.code == "bad_response"
    await api.aclose()


def test_times_stored_in_other_forms_are_rendered_as_the_models_render_them() -> None:
    """`at` as SQLite may hold it when not written by SQLAlchemy (no fraction, a short
    one), or an aware datetime from a driver: the column's own conversion, as before."""
    from sqlalchemy.dialects import postgresql, sqlite

    lite, pg = sqlite.dialect(), postgresql.dialect()
    assert eventlog._iso_stored("2026-03-01 09:30:00.000000", lite) == "2026-03-01T09:30:00Z"
    assert eventlog._iso_stored("2026-03-01 09:30:00.250000", lite) == "2026-03-01T09:30:00.250000Z"
    assert eventlog._iso_stored("2026-03-01 09:30:00", lite) == "2026-03-01T09:30:00Z"
    assert eventlog._iso_stored("2026-03-01 09:30:00.25", lite) == eventlog._iso(datetime(2026, 3, 1, 9, 30, 0, 250000, tzinfo=timezone.utc))
    assert eventlog._iso_stored(datetime(2026, 3, 1, 9, 30, 0, 7), pg) == "2026-03-01T09:30:00.000007Z"
    assert eventlog._iso_stored(datetime(2026, 3, 1, 18, 30, tzinfo=timezone(timedelta(hours=9))), pg) == "2026-03-01T09:30:00Z"
