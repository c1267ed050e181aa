"""Crash tests with real processes: nothing lost, nothing twice.

(a) five clients send 200 messages each while the server process is SIGKILLed and
    restarted twice: the server ends with exactly 1,000 of them, each once, in per-client order;
(b) a client process is SIGKILLed mid-send: on restart its outbox delivers the rest, none twice.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import BOTH_DATABASES, LiveServer
from support import ServerProcess, free_port

pytestmark = pytest.mark.slow

HERE = Path(__file__).parent


def _bodies(url: str, headers: dict[str, str], cid: int) -> list[str]:
    detail = httpx.get(f"{url}/api/v1/conversations/{cid}", headers=headers, timeout=10).json()
    return [m["body"] for m in detail["messages"] if m["kind"] == "reply"]


@pytest.fixture
def server_db(database_url: str, seeded_template: tuple[Path, list[dict[str, Any]]]) -> tuple[str, list[dict[str, Any]]]:
    return database_url, seeded_template[1]


@BOTH_DATABASES
async def test_server_killed_twice_while_five_clients_send(server_db: tuple[str, list[dict[str, Any]]], tmp_path: Path) -> None:
    from advisor_console.client.session import open_workspace

    db_url, accounts = server_db
    server = ServerProcess(db_url, free_port())
    server.start()
    live = LiveServer(server.url, db_url, accounts, server.stop)
    try:
        hubs = ["TYO", "SEL", "SHA", "FLR", "NYC"]
        sup = live.headers("supervisor")
        workspaces, targets = [], []
        for hub in hubs:
            acc = live.account("advisor", hub)
            queued = httpx.get(f"{server.url}/api/v1/conversations", params={"hub": hub, "status": "queued", "limit": 1}, headers=sup).json()["items"][0]
            ws = open_workspace(server.url, live.token(acc["username"]), root=tmp_path / f"c-{hub}")
            ws.sync.backoff_cap = 2.0  # retry often: the test wants to see the ending, not the waiting
            workspaces.append(ws)
            targets.append(queued["id"])
        tasks = [asyncio.create_task(ws.start()) for ws in workspaces]

        async def send(i: int) -> None:
            ws, cid = workspaces[i], targets[i]
            for n in range(200):
                ws.send_message(cid, f"c{i}-{n:03d}")
                await asyncio.sleep(0.004)

        async def chaos() -> None:
            for _ in range(2):
                await asyncio.sleep(0.6)
                await asyncio.to_thread(server.kill)
                await asyncio.sleep(0.4)
                await asyncio.to_thread(server.start)

        await asyncio.gather(*(send(i) for i in range(5)), chaos())
        deadline = time.monotonic() + 120
        while any(ws.cache.unsent_count() for ws in workspaces):
            assert time.monotonic() < deadline, "outboxes did not drain"
            await asyncio.sleep(0.1)
        for ws in workspaces:
            await ws.stop()
        await asyncio.gather(*tasks)

        total = 0
        for i, cid in enumerate(targets):
            bodies = [b for b in _bodies(server.url, sup, cid) if b.startswith(f"c{i}-")]
            assert bodies == [f"c{i}-{n:03d}" for n in range(200)], f"client {i}: {len(bodies)} messages, order or duplicates wrong"
            total += len(bodies)
        assert total == 1000
        # The log has each exactly once too.
        events = httpx.get(f"{server.url}/api/v1/events", params={"after": 0, "limit": 5000}, headers=sup).json()["events"]
        created = [e["data"]["message"]["body"] for e in events if e["type"] == "message.created" and e["data"]["message"]["body"].startswith("c")]
        assert len([b for b in created if b[1:2].isdigit() and "-" in b]) == 1000
        seqs = [e["seq"] for e in events]
        assert seqs == sorted(set(seqs))
    finally:
        server.stop()


@BOTH_DATABASES
def test_client_killed_mid_send_delivers_the_rest_once(server_db: tuple[str, list[dict[str, Any]]], tmp_path: Path) -> None:
    db_url, accounts = server_db
    server = ServerProcess(db_url, free_port())
    server.start()
    live = LiveServer(server.url, db_url, accounts, server.stop)
    first: subprocess.Popen[str] | None = None
    try:
        acc = live.account("advisor", "TYO")
        sup = live.headers("supervisor")
        cid = httpx.get(f"{server.url}/api/v1/conversations", params={"hub": "TYO", "status": "queued", "limit": 1}, headers=sup).json()["items"][0]["id"]
        token = live.token(acc["username"])
        root = tmp_path / "client"
        args = [sys.executable, str(HERE / "crash_client.py"), server.url, token, str(root), str(cid), "300", "m"]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parent / "src"), os.environ.get("PYTHONPATH", "")])}
        first = subprocess.Popen([*args, "--enqueue"], stdout=subprocess.PIPE, text=True, env=env)
        assert first.stdout is not None and first.stdout.readline().strip() == "enqueued"
        deadline = time.monotonic() + 60
        while len(_bodies(server.url, sup, cid)) < 40:
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        delivered_before = len(_bodies(server.url, sup, cid))
        assert 0 < delivered_before < 300, "the kill came too late to test anything"

        second = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env)
        assert second.returncode == 0 and "drained" in second.stdout, second.stderr
        bodies = _bodies(server.url, sup, cid)
        assert bodies == [f"m-{n:04d}" for n in range(300)]
    finally:
        if first is not None and first.poll() is None:  # a failure before the kill: no stray client
            first.kill()
            first.wait(10)
        server.stop()
