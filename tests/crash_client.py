"""A workstation client as its own process, for the crash tests.

    python crash_client.py URL TOKEN ROOT CONVERSATION_ID COUNT PREFIX [--enqueue]

With --enqueue: writes COUNT replies into the durable outbox first (before any HTTP).
Then runs the sync engine until the outbox is empty, printing "drained" and exiting 0.
The test SIGKILLs it at some point and starts it again without --enqueue.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from advisor_console.client.session import open_workspace


async def main() -> None:
    url, token, root, conv, count, prefix = sys.argv[1:7]
    ws = open_workspace(url, token, root=Path(root))
    if "--enqueue" in sys.argv:
        for n in range(int(count)):
            ws.send_message(int(conv), f"{prefix}-{n:04d}")
        print("enqueued", flush=True)
    task = asyncio.create_task(ws.start())
    while ws.cache.unsent_count():
        await asyncio.sleep(0.02)
    print("drained", flush=True)
    await ws.stop()
    await task


if __name__ == "__main__":
    asyncio.run(main())
