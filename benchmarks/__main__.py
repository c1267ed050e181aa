"""`python -m benchmarks [--quick]`: the workstation's benchmarks, then the server's.

Runs `benchmarks.tui.run` and `benchmarks.server.run` one after the other (each writes
its own JSON too), prints one table of every row, and writes benchmarks/results/latest.json
with the rows and the machine they were taken on. Exits 0 whatever the figures are: the
benchmarks measure, they do not pass or fail (the `ok` column says which targets are met).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from benchmarks import server, tui
from benchmarks.common import format_table, machine, stop_cleanly_on_sigterm

SUITES = (("tui", tui.run), ("server", server.run))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description="Every benchmark: the workstation's, then the server's.")
    parser.add_argument("--quick", action="store_true", help="a much smaller scale, for a smoke run")
    parser.add_argument("--only", choices=[name for name, _ in SUITES], help="run one suite only")
    args = parser.parse_args(argv)
    stop_cleanly_on_sigterm()
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    seconds: dict[str, float] = {}
    for name, run in SUITES:
        if args.only and name != args.only:
            continue
        t = time.perf_counter()
        rows += [dict(r, suite=name) for r in run(quick=args.quick)]
        seconds[name] = round(time.perf_counter() - t, 1)
    total = time.perf_counter() - started
    out = server.ROOT / "results" / "latest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {"quick": args.quick, "seconds": round(total, 1), "suite_seconds": seconds, "machine": machine(server.pg_version()), "rows": rows},
            indent=2,
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    print(format_table(rows))
    print(f"\n{'quick' if args.quick else 'full'} run in {total:.0f} s ({', '.join(f'{k} {v:.0f} s' for k, v in seconds.items())}); JSON in {out.relative_to(server.ROOT.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
