"""The workstation's client survives a server that answers garbage: malformed JSON, wrong
types, huge payloads, very slow answers, dropped and endless streams. A real misbehaving
HTTP server runs on loopback; the client shows a clear state and never crashes."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from advisor_console.client import api as api_module
from advisor_console.client.api import ApiClient, ApiError
from advisor_console.client.session import open_workspace

ME = {"id": 1, "username": "ann", "name": "Ann", "hub": "TYO", "role": "advisor"}


class Misbehaving:
    """What the server does for each path: a function (handler) -> None."""

    def __init__(self) -> None:
        self.routes: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {}
        self.hits: dict[str, int] = {}


def _send(h: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str = "application/json", extra: dict[str, str] | None = None) -> None:
    h.send_response(status)
    h.send_header("Content-Type", ctype)
    h.send_header("Content-Length", str(len(body)))
    for k, v in (extra or {}).items():
        h.send_header(k, v)
    h.end_headers()
    h.wfile.write(body)


def json_answer(data: Any, status: int = 200) -> Callable[[BaseHTTPRequestHandler], None]:
    return lambda h: _send(h, status, json.dumps(data).encode())


@pytest.fixture
def bad_server() -> Iterator[tuple[str, Misbehaving]]:
    behaviour = Misbehaving()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _route(self) -> None:
            path = self.path.split("?")[0]
            behaviour.hits[path] = behaviour.hits.get(path, 0) + 1
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            handler = behaviour.routes.get(path)
            if handler is None:
                _send(self, 404, b'{"error": {"code": "not_found", "message": "no"}}')
                return
            try:
                handler(self)
            except (BrokenPipeError, ConnectionResetError):
                pass

        do_GET = do_POST = _route

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: Any, client_address: Any) -> None:
            if not isinstance(sys.exc_info()[1], ConnectionError):  # a client hanging up is part of these tests
                super().handle_error(request, client_address)

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    behaviour.routes["/api/v1/me"] = json_answer(ME)
    yield f"http://127.0.0.1:{server.server_address[1]}", behaviour
    server.shutdown()
    server.server_close()


async def wait_for(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def _run_workspace(url: str, root: Path, until: Callable[[Any], bool]) -> Any:
    ws = open_workspace(url, "token", root=root)
    task = asyncio.create_task(ws.start())
    try:
        await wait_for(lambda: until(ws))
        assert not task.done(), "sync died"
    finally:
        await ws.stop()
        await asyncio.wait_for(task, 5)
    return ws


async def test_malformed_json_is_a_clear_error(bad_server: tuple[str, Misbehaving]) -> None:
    url, srv = bad_server
    srv.routes["/api/v1/clients/1"] = lambda h: _send(h, 200, b"{not json at all")
    srv.routes["/api/v1/products"] = lambda h: _send(h, 500, b"<html>Internal error</html>", "text/html")
    client = ApiClient(url, "t")
    with pytest.raises(ApiError) as info:
        await client.get_json("/api/v1/clients/1")
    assert info.value.code == "bad_response"
    with pytest.raises(ApiError) as info:
        await client.get_json("/api/v1/products")
    assert info.value.status == 500 and info.value.retryable and "<html>" not in info.value.message
    await client.aclose()


def test_garbage_identity_answer_refuses_to_open(bad_server: tuple[str, Misbehaving], tmp_path: Path) -> None:
    url, srv = bad_server
    srv.routes["/api/v1/me"] = json_answer({"id": "not a number", "hub": 3})
    with pytest.raises(ApiError) as info:
        open_workspace(url, "token", root=tmp_path)
    assert info.value.code == "bad_response"


async def test_huge_answers_are_refused(bad_server: tuple[str, Misbehaving], monkeypatch: pytest.MonkeyPatch) -> None:
    url, srv = bad_server
    monkeypatch.setattr(api_module, "MAX_RESPONSE_BYTES", 1_000_000)
    srv.routes["/api/v1/declared"] = lambda h: _send(h, 200, b"[" + b"1," * 600_000 + b"1]")
    client = ApiClient(url, "t")
    with pytest.raises(ApiError) as info:
        await client.get_json("/api/v1/declared")
    assert info.value.code == "response_too_large"
    await client.aclose()


async def test_wrong_types_in_event_pages_keep_sync_alive(bad_server: tuple[str, Misbehaving], tmp_path: Path) -> None:
    url, srv = bad_server
    srv.routes["/api/v1/events"] = json_answer({"events": "lots", "last_seq": "many"})
    ws = await _run_workspace(url, tmp_path, lambda ws: srv.hits.get("/api/v1/events", 0) >= 2 and ws.state.connection in ("reconnecting", "offline"))
    assert "not what was expected" in ws.state.connection_detail and ws.state.conversations == {}


async def test_slow_server_times_out_and_retries(bad_server: tuple[str, Misbehaving], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    url, srv = bad_server
    monkeypatch.setattr(api_module, "DEFAULT_TIMEOUT", httpx.Timeout(0.3, connect=0.3))

    def slow(h: BaseHTTPRequestHandler) -> None:
        time.sleep(1.5)
        _send(h, 200, b'{"events": [], "last_seq": 0}')

    srv.routes["/api/v1/events"] = slow
    ws = await _run_workspace(url, tmp_path, lambda ws: ws.state.connection in ("reconnecting", "offline"))
    assert "cannot be reached" in ws.state.connection_detail


def _stream(body: Callable[[BaseHTTPRequestHandler], None]) -> Callable[[BaseHTTPRequestHandler], None]:
    def handler(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Connection", "close")
        h.end_headers()
        body(h)
        h.wfile.flush()
        h.close_connection = True

    return handler


CONV = {"id": 5, "client_id": 1, "client_name": "Yuki", "channel": "chat", "language": "ja", "hub": "TYO", "created_at": "2026-11-23T09:00:00Z", "last_activity_at": "2026-11-23T09:00:00Z"}


async def test_dropped_and_garbage_streams_reconnect_without_losing_good_events(bad_server: tuple[str, Misbehaving], tmp_path: Path) -> None:
    url, srv = bad_server
    srv.routes["/api/v1/events"] = json_answer({"events": [], "last_seq": 0})
    good = {"seq": 1, "type": "conversation.created", "at": "2026-11-23T09:00:00Z", "actor": "x", "data": {"conversation": CONV}}
    broken = {"seq": 2, "type": "message.created", "at": "2026-11-23T09:00:00Z", "actor": "x", "data": {"conversation": {"id": "??"}}}

    def body(h: BaseHTTPRequestHandler) -> None:
        for event in (good, broken):
            h.wfile.write(f"id: {event['seq']}\nevent: {event['type']}\ndata: {json.dumps(event)}\n\n".encode())
        h.wfile.write(b"id: 3\ndata: {this is not json\n\n")
        h.wfile.write(b"\x00\x01 garbage without structure\n\nid: 4\nevent: message.created\ndata: [1, 2")  # then the connection drops

    srv.routes["/api/v1/events/stream"] = _stream(body)
    ws = await _run_workspace(url, tmp_path, lambda ws: srv.hits.get("/api/v1/events/stream", 0) >= 2 and 5 in ws.state.conversations)
    assert ws.state.conversations[5].client_name == "Yuki"


async def test_endless_stream_line_is_cut_off(bad_server: tuple[str, Misbehaving], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url, srv = bad_server
    monkeypatch.setattr(api_module, "MAX_SSE_LINE", 100_000)
    srv.routes["/api/v1/events"] = json_answer({"events": [], "last_seq": 0})
    srv.routes["/api/v1/events/stream"] = _stream(lambda h: h.wfile.write(b"data: " + b"x" * 1_000_000))
    ws = await _run_workspace(url, tmp_path, lambda ws: "endless line" in ws.state.connection_detail)
    assert ws.state.connection in ("reconnecting", "offline")


async def test_a_stream_that_is_not_an_event_stream(bad_server: tuple[str, Misbehaving], tmp_path: Path) -> None:
    url, srv = bad_server
    srv.routes["/api/v1/events"] = json_answer({"events": [], "last_seq": 0})
    srv.routes["/api/v1/events/stream"] = lambda h: _send(h, 200, b"<html>captive portal</html>", "text/html")
    ws = await _run_workspace(url, tmp_path, lambda ws: "not an event stream" in ws.state.connection_detail)
    assert ws.state.connection != "live"


async def test_the_workstation_shows_a_garbage_server_in_its_header(bad_server: tuple[str, Misbehaving], tmp_path: Path) -> None:
    from advisor_console.config import Settings
    from advisor_console.tui.app import AdvisorApp
    from advisor_console.tui.widgets.header import AdvisorHeader

    url, srv = bad_server
    srv.routes["/api/v1/events"] = lambda h: _send(h, 200, b"\x1b[2J{garbage")
    ws = open_workspace(url, "token", root=tmp_path)
    app = AdvisorApp(ws, Settings())
    async with app.run_test(size=(160, 40)) as pilot:
        deadline = time.monotonic() + 15
        while ws.state.connection not in ("reconnecting", "offline"):
            assert time.monotonic() < deadline
            await pilot.pause(0.05)
        await pilot.pause(0.2)
        header = app.screen.query_one(AdvisorHeader)
        shown = str(header.render())
        assert ("reconnecting" in shown or "offline" in shown) and "\x1b" not in shown
        assert app.is_running
