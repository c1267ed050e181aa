"""Run the server: in a background thread of this process (embedded demo, tests) or in the
foreground (`advisor-console serve`)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import uvicorn
from fastapi import FastAPI

from ..idle_gc import IdleCollector, collect_when_quiet

# The standalone server's full collections wait for a quiet second, or this long at most
# under constant load (the cyclic garbage of a minute of 200 posts a second is a few tens
# of megabytes at worst; most of a request's garbage goes by reference counting).
SERVER_FULL_COLLECTION_AT_LEAST_EVERY = 60.0


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio sets TCP_NODELAY only on sockets that do, and without it
    # every keep-alive response waits ~40 ms on Nagle + delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class _Server(uvicorn.Server):
    """uvicorn re-raises SIGTERM after a graceful shutdown (exit status -15); a clean stop
    of `serve` should exit 0, so handle the signals ourselves, and only on the main thread."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _config(app: FastAPI, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="on", timeout_graceful_shutdown=2, ws="none")


@dataclass
class RunningServer:
    url: str
    server: uvicorn.Server
    thread: threading.Thread
    sock: socket.socket
    _stopped: bool = field(default=False)

    def stop(self, timeout: float = 10.0) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.server.should_exit = True
        self.thread.join(timeout)
        try:
            self.sock.close()
        except OSError:
            pass


def start_in_thread(app: FastAPI, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning") -> RunningServer:
    """Serve `app` on a loopback port (0 = any free one) from a daemon thread; returns once it accepts."""
    sock = bind_socket(host, port)
    server = _Server(_config(app, log_level))

    def run() -> None:
        asyncio.run(server.serve(sockets=[sock]))

    thread = threading.Thread(target=run, name="advisor-console-server", daemon=True)
    thread.start()
    real_host, real_port = sock.getsockname()[:2]
    url = f"http://{'[' + real_host + ']' if ':' in real_host else real_host}:{real_port}"
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("The embedded server failed to start; see the log above.")
        thread.join(0.01)
    return RunningServer(url=url, server=server, thread=thread, sock=sock)


def serve_forever(app: FastAPI, host: str, port: int, log_level: str = "info") -> None:
    """Serve in the foreground until SIGINT/SIGTERM (uvicorn handles both cleanly)."""
    sock = bind_socket(host, port)
    real_host, real_port = sock.getsockname()[:2]
    # What start-up built (modules, mappers, routes: ~90,000 objects) lives as long as this
    # process: out of the collector's sight, a full collection no longer walks it (one took
    # 50-95 ms, a stall of every request and stream). Only here, where the process is the
    # server: the embedded one shares the workstation's process, which freezes its own.
    gc.collect()
    gc.freeze()
    # What comes after (the open streams, the state of their connections) is walked by each
    # full collection: 22-27 ms, every stream late by as much, about two seconds into a
    # burst and then every ~15 s. Those wait for a quiet moment (idle_gc.py).
    collector = IdleCollector(longest=SERVER_FULL_COLLECTION_AT_LEAST_EVERY)
    collector.install()
    stop = threading.Event()
    threading.Thread(target=collect_when_quiet, args=(collector, stop), name="advisor-console-gc", daemon=True).start()
    print(f"Advisor Console server listening on http://{real_host}:{real_port}", flush=True)
    server = _Server(_config(app, log_level))
    try:
        server.run(sockets=[sock])
    finally:
        stop.set()
        collector.uninstall()
