"""What the benchmark modules share: percentiles, result rows, the table, machine facts, the
server in its own process."""

from __future__ import annotations

import os
import platform
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from datetime import datetime, timezone
from typing import Any


def _p(values: list[float], q: float) -> float:
    """Percentile by nearest rank (no interpolation: a p95 of 20 samples is the 19th)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.4999)))
    return ordered[rank - 1]


def _row(name: str, value: float | None, unit: str, target: float | None, ok: bool | None, note: str = "") -> dict[str, Any]:
    """One result; `value` None (and `ok` None) when it could not be measured (say why in `note`)."""
    return {"name": name, "value": None if value is None else round(value, 3), "unit": unit, "target": target, "ok": ok, "note": note}


def format_table(rows: list[dict[str, Any]]) -> str:
    head = ("benchmark", "value", "target", "ok", "note")
    body = []
    for r in rows:
        if r["value"] is None:
            value = "-"
        else:
            value = f"{r['value']:,.1f} {r['unit']}" if r["unit"] != "x" else f"{r['value']:.2f} x"
        target = "" if r["target"] is None else (f"<= {r['target']:g} {r['unit']}")
        ok = "" if r["ok"] is None else ("yes" if r["ok"] else "NO")
        body.append((r["name"], value, target, ok, r["note"]))
    widths = [max(len(str(x[i])) for x in [head, *body]) for i in range(len(head))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(head, widths)).rstrip(), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in body]
    return "\n".join(lines)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine(pg_version: str | None = None) -> dict[str, Any]:
    """Facts about where the figures were taken."""
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model(),
        "python": sys.version.split()[0],
        "platform": sys.platform,
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg_version,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def stop_cleanly_on_sigterm() -> None:
    """A SIGTERM ends the run as Ctrl-C does, through the `finally` blocks: the servers the
    run started (in sessions of their own) are stopped and its temporary files removed,
    instead of outliving it."""

    def stop(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)


def suite_main(prog: str, description: str, run, results, root, argv=None, parts: tuple[str, ...] = (), backends: tuple[str, ...] = ()) -> int:  # noqa: ANN001
    """The command line of one suite: `--quick`, `--only PART` (when the suite has `parts`),
    `--backend NAME` (when it has `backends`), the table, where the JSON went. Both are
    repeatable; without them every part runs, on every backend."""
    import argparse

    stop_cleanly_on_sigterm()

    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--quick", action="store_true", help="a much smaller scale, for a smoke run")
    if parts:
        parser.add_argument("--only", choices=parts, action="append", help="run this part only (repeatable); default: every part")
    if backends:
        parser.add_argument("--backend", choices=backends, action="append", help="on this database only (repeatable); default: every one")
    args = parser.parse_args(argv)
    narrow = {k: v for k, v in (("only", getattr(args, "only", None)), ("backends", getattr(args, "backend", None))) if v}
    started = time.perf_counter()
    rows = run(quick=args.quick, **narrow)
    print(format_table(rows))
    print(f"\n{'quick' if args.quick else 'full'} run in {time.perf_counter() - started:.0f} s; JSON in {results.relative_to(root.parent)}")
    return 0


@dataclass
class ServerProcess:
    url: str
    proc: subprocess.Popen[str]
    log_path: Path

    @classmethod
    def start(cls, database_url: str, tmp: Path, timeout: float = 60.0) -> ServerProcess:
        log_path = tmp / "server.log"
        script = Path(sys.executable).with_name("advisor-console")
        argv = ["serve", "--host", "127.0.0.1", "--port", "0", "--database-url", database_url, "--log-level", "warning"]
        cmd = [str(script), *argv] if script.exists() else [sys.executable, "-c", "import sys; from advisor_console.workstation import main; sys.argv[0] = 'advisor-console'; main()", *argv]
        with open(log_path, "w") as err:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True, start_new_session=True)
        found: list[str] = []

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                if "listening on" in line and not found:
                    found.append(line.rsplit(" ", 1)[-1].strip())

        threading.Thread(target=read, daemon=True).start()
        deadline = time.monotonic() + timeout
        while not found:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"the server did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.02)
        return cls(url=found[0], proc=proc, log_path=log_path)

    def stop(self) -> None:
        terminate(self.proc, 15)


def terminate(proc: subprocess.Popen, grace: float) -> None:
    """SIGTERM, `grace` seconds to exit, then SIGKILL (nothing if it has exited)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
