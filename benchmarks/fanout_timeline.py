"""Where the SSE fan-out's slow deliveries are, in time: `python -m benchmarks.fanout_timeline <prefix>`
after `BENCH_RAW=<prefix> python -m benchmarks.server --only fanout`.

Prints the p99 of each half second of posting and the posts that reached even their first
subscriber late: a stall of the server (a full garbage collection, a cold path) delays
every subscriber of consecutive posts; a slow reader only its own deliveries.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

from benchmarks.common import _p

LATE_MS = 35.0
WINDOW_S = 0.5


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    prefix = Path(args[0])
    files = sorted(prefix.parent.glob(prefix.name + "-fanout-*"))
    if not files:
        print(f"no {prefix}-fanout-* files: run the fan-out with BENCH_RAW={prefix} first", file=sys.stderr)
        return 1
    deliveries = [tuple(row) for f in files for row in json.loads(f.read_text())]
    start = min(sent for _, sent, _ in deliveries)
    windows: dict[int, list[float]] = defaultdict(list)
    first: dict[int, tuple[float, float]] = {}
    for n, sent, latency in deliveries:
        windows[int((sent - start) / WINDOW_S)].append(latency)
        if n not in first or latency < first[n][1]:
            first[n] = (sent, latency)
    print(f"{len(deliveries):,} deliveries of {len(first):,} posts; p50 {_p([d[2] for d in deliveries], 50):.1f} ms, p99 {_p([d[2] for d in deliveries], 99):.1f} ms")
    print(f"p99 per {WINDOW_S:g} s: " + " ".join(f"{_p(v, 99):.0f}" for _, v in sorted(windows.items())))
    late = sorted((sent - start, latency) for sent, latency in first.values() if latency > LATE_MS)
    print(f"posts whose first delivery took over {LATE_MS:g} ms: {len(late)}" + (": " + ", ".join(f"{t:.2f} s ({ms:.0f} ms)" for t, ms in late[:30]) if late else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
