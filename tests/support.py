"""Helpers for tests that run the server as a real child process, and for its write path."""

from __future__ import annotations

import asyncio
import queue
import signal
import socket
import subprocess
import sys
import threading
import time

import httpx
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """`advisor-console serve` as a child process on a fixed port (kept across restarts).

    A port from `free_port()` is free when it is asked for, not when the server binds it:
    another test's server (the suite runs on several workers) or an outgoing connection
    may take it in between. `start` waits for the server's own "listening on" line, so it
    never mistakes another server on that port for its own; on a first start it then
    moves to another free port, on a restart it tries the same port again a few times."""

    def __init__(self, database_url: str, port: int) -> None:
        self.database_url, self.port = database_url, port
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[str] | None = None
        self._bound_once = False

    def _spawn(self) -> bool:
        """Start the child; True once it says it listens on `self.port`."""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "advisor_console.cli", "serve", "--port", str(self.port), "--database-url", self.database_url, "--log-level", "error"],
            stdout=subprocess.PIPE,
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()

        def drain(out: Any) -> None:  # the first line to the queue; the rest must not fill the pipe
            for line in out:
                lines.put(line)

        threading.Thread(target=drain, args=(self.proc.stdout,), daemon=True).start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if "listening on" in lines.get(timeout=0.1):
                    return True
            except queue.Empty:
                if self.proc.poll() is not None:
                    return False  # it could not bind (or start): it has exited
        raise RuntimeError("the server did not say it was listening within 60 s")

    def start(self) -> None:
        for attempt in range(5):
            if self._spawn():
                break
            if self._bound_once:
                time.sleep(0.5)  # a restart: the same port, once whoever holds it lets go
            else:
                self.port = free_port()
                self.url = f"http://127.0.0.1:{self.port}"
        else:
            raise RuntimeError(f"the server could not listen on port {self.port}")
        self._bound_once = True
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def api_client(server: Any, username: str | None = None, timeout: float = 20) -> httpx.Client:
    """An HTTP client on a live server, signed in as `username` (anonymous without)."""
    return httpx.Client(base_url=server.url, headers=server.headers(username) if username else {}, timeout=timeout)


def assert_error(r: Any, status: int, code: str) -> dict[str, Any]:
    """`r` is the contract's error: this status, this code, and a sentence for people."""
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    return body


def wait_for(predicate: Any, what: str = "a condition", timeout: float = 15.0) -> Any:
    """Poll `predicate` until it returns something truthy (returned), or fail saying what."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


CHROMIUM = __import__("os").environ.get("ADVISOR_CONSOLE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


def chromium_skip_reason() -> str | None:
    """Why the browser tests cannot run here (Debian's Chromium driven by playwright), or None."""
    import os
    import shutil

    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    return None


def table_t_and_state(engine: Any, loop_engine: Any) -> tuple[Any, Any, list[int]]:
    """For the write path's tests: a table `t (x INTEGER)` made through `engine`, a server
    state writing through it and through the loop's `loop_engine`, and an op inserting 1
    into `t` that appends the thread it ran on to the list returned."""
    from sqlalchemy import text

    from advisor_console.server.db import writer
    from advisor_console.server.deps import ServerState
    from advisor_console.server.eventlog import EventBus

    with writer(engine).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    state = ServerState(engine=engine, write_engine=writer(engine), bus=EventBus(), token_ttl_seconds=60, loop_write_engine=writer(loop_engine))
    ran_on: list[int] = []

    def op(session: Any) -> tuple[int, dict[str, Any]]:
        ran_on.append(threading.get_ident())
        session.execute(text("INSERT INTO t VALUES (1)"))
        return 201, {}

    return state, op, ran_on


async def write_while_held(state: Any, op: Any, hold: Any, ran_on: list[int], tick: float = 0.01) -> None:
    """`deps.run_write(state, op)` while `hold(held, release)`, run in a thread, keeps a lock
    the write needs: the event loop stays free while the write waits, and once the lock is
    let go the write is made, in a worker thread (`op` appends the thread it ran on to
    `ran_on`)."""
    from advisor_console.server.deps import run_write

    loop_thread = threading.get_ident()
    held, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=hold, args=(held, release))
    holder.start()
    assert held.wait(10)
    pending = asyncio.ensure_future(run_write(state, op))
    ticks = 0
    for _ in range(10):
        await asyncio.sleep(tick)
        ticks += 1
    assert ticks == 10 and not pending.done()
    release.set()
    assert await pending == (201, {})
    assert ran_on[-1] != loop_thread
    holder.join(10)
