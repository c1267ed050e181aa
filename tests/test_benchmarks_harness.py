"""The benchmarks' harness cleans up after itself (benchmarks/common.py): a run that is
sent SIGTERM stops the servers it started, which live in sessions of their own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r"""
import shutil, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, {root!r})
from benchmarks.common import ServerProcess, stop_cleanly_on_sigterm
from advisor_console.server.db import migrate

stop_cleanly_on_sigterm()
tmp = Path(tempfile.mkdtemp(prefix="ac-harness-test-"))
url = f"sqlite:///{{tmp / 'server.sqlite'}}"
migrate(url)
server = ServerProcess.start(url, tmp)
try:
    print(server.proc.pid, flush=True)
    time.sleep(120)
finally:
    server.stop()
    shutil.rmtree(tmp, ignore_errors=True)
    print("stopped", flush=True)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by its parent) counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


def test_sigterm_stops_the_servers_a_run_started() -> None:
    child = subprocess.Popen([sys.executable, "-c", _CHILD.format(root=str(ROOT))], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        server_pid = int(child.stdout.readline())
        assert _alive(server_pid)
        child.send_signal(signal.SIGTERM)
        assert child.stdout.readline().strip() == "stopped"
        assert child.wait(30) == 128 + signal.SIGTERM
        deadline = time.monotonic() + 10
        while _alive(server_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(server_pid)
    finally:
        if child.poll() is None:
            child.kill()
