"""The workstation's benchmarks: startup, key-to-frame latency, resident memory.

Run alone with `python -m benchmarks.tui [--quick] [--only startup|latency|memory]` (a
table on stdout, JSON in benchmarks/results/tui.json) or through `run(quick)`, which
returns the rows. `--only` (repeatable) runs those parts alone, on the same setting.

Setting (built once per run, in a temporary directory that is removed afterwards)
- A SQLite database seeded with `demo.seed.seed` at full scale: 10,000 clients, 50,000
  products, 2,000 open conversations; then one Tokyo conversation is given 1,000 messages
  through the server's own write path (`services.run_write` with `services.inbound` for
  the client's messages, `services.post_message` for the advisor's replies, notes and
  product cards), so each one is also an event in the log.
- The real server in its own process (`advisor-console serve --port 0` on loopback), as
  for an advisor: the workstation's process does the workstation's work alone.
- The demo account `advisor` (Tokyo) signs in; a real `Workspace` syncs once (catch-up
  then the live stream) into a local cache, exactly as the workstation does, and stops.
  Every measurement below starts from that cache.

The workstation's modules are compiled to bytecode first, as an installed package's are.

1. Startup to the first frame with data. Each start is a fresh `python -c` process on a
   pseudo-terminal of 160x48 (TERM=xterm-256color). The workstation starts through the
   real command, `advisor-console` with ADVISOR_CONSOLE_SERVER/_TOKEN/_DATA_DIR set
   (config, `who am I` over HTTP, the local cache read and folded into state, Textual).
   The baseline is a bare Textual app with a `Header` and a `Footer`. Both are subclassed
   in the `-c` script only to add a probe on `App._display`, the method that hands each
   rendered frame to the terminal driver: the probe writes `time.monotonic()` (a
   system-wide clock, so comparable with the parent's) once a frame has been written
   whose queue holds rows (for the bare app: its first frame), then the app exits. The
   parent takes `time.monotonic()` just before spawning. One warm-up start of each (not
   counted: it warms the page cache), then N starts of each, interleaved, so both see
   the same machine. Reported: both medians and their ratio (target <= 1.5); also the
   workstation's first frame of any kind.

2. Key-to-frame latency, in process: `AdvisorApp.run_test(size=(160, 48))` over a
   Workspace opened on the synced cache, sync running against the server. The app is a
   subclass whose `_display` (called by the screen's compositor refresh with the frame's
   update, once per frame) also encodes the update to the terminal byte string a real
   terminal would be sent (`render_segments`; headless Textual skips that) and then
   checks the probe: a predicate on the widgets' state that is true only once the key
   has taken effect (row highlighted, tab's rows in place, thread blocks shown, input
   echoed, results for the new query filled). For each sample: let the app go idle,
   take `perf_counter()`, post the key exactly as the terminal driver does
   (`driver.send_message(events.Key(...))`, so it goes through bindings, actions and
   Textual's 60 Hz frame pacing like a real key), and wait for the first frame whose
   probe is true; latency = that frame's `_display` time minus the key's. Keys:
   - queue move: `down` (`up` once at the end of the list) in the Hub tab;
   - open the 1,000-message conversation: `enter` on its row, alternating with a small
     conversation so every open renders the thread anew (a cold open);
   - lookbook type: one printable character in the lookbook's search box, measured to
     the echo and to the frame whose results list holds the answer for the new text
     (debounce, HTTP to the server, SQL search and list refill included);
   - queue tabs: `1` / `2` / `3` in turn.
   p50 and p95 per key; target p95 <= 16 ms (one frame at 60 Hz).

3. Resident memory: the workstation as in 1, in its own process on a pseudo-terminal;
   after its first frame with data the probe opens the 1,000-message conversation, and
   once a frame shows its thread it says so; the parent then waits 1 s and reads VmRSS
   (and the peak, VmHWM) from /proc/<pid>/status. Target <= 150 MB.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import pty
import random
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from benchmarks.common import ServerProcess, _p, _row, suite_main, terminate

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results" / "tui.json"
SIZE = (160, 48)
PASSWORD = "demo"
FRAME_MS = 16.0
STARTUP_RATIO = 1.5
RSS_MB = 150.0

FULL = {
    "clients": 10_000,
    "products": 50_000,
    "conversations": 2_000,
    "thread": 1_000,
    "starts": 5,
    "moves": 60,
    "opens": 10,
    "words": 6,
    "tab_rounds": 10,
}
QUICK = {
    "clients": 800,
    "products": 2_000,
    "conversations": 150,
    "thread": 200,
    "starts": 2,
    "moves": 20,
    "opens": 4,
    "words": 2,
    "tab_rounds": 4,
}


# ---- the setting ---------------------------------------------------------------------------


@dataclass
class Setting:
    tmp: Path
    url: str
    server_url: str
    token: str
    client_root: Path
    big_id: int
    small_id: int
    thread_len: int
    env: dict[str, str] = field(default_factory=dict)
    stop: Callable[[], None] = lambda: None
    timings: dict[str, float] = field(default_factory=dict)


_WORDS = (
    "the bag in blue would be lovely could you check whether the size thirty-six is still "
    "available at the boutique I will be in Tokyo next week and would like to see the new "
    "collection before the dinner thank you so much for the photos they arrived well the "
    "scarf is perfect for my mother we can hold it for you until Friday and arrange a private "
    "appointment on the second floor shall I send the invoice to the usual address"
).split()


def _body(rng: random.Random, i: int) -> str:
    """A deterministic, varied message: short, long (wrapping), sometimes several lines."""
    n = rng.choice((4, 8, 12, 20, 35, 60, 90))
    words = [rng.choice(_WORDS) for _ in range(n)]
    text = " ".join(words).capitalize() + rng.choice((".", "?", "!", " 🙏", " ✨"))
    if i % 7 == 0:
        text += "\n\n" + " ".join(rng.choice(_WORDS) for _ in range(10)).capitalize() + "."
    return text


def _add_thread(url: str, count: int) -> tuple[int, int]:
    """Give one open Tokyo conversation `count` more messages through the server's own
    write path. Returns (that conversation, another small open Tokyo conversation)."""
    from sqlalchemy import func, select

    from advisor_console.domain.models import Attachment, InboundIn, MessageIn, MessageKind
    from advisor_console.server import services
    from advisor_console.server.db import make_engine, writer
    from advisor_console.server.tables import AdvisorRow, ConversationRow, MessageRow, ProductRow

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            open_tyo = conn.execute(
                select(ConversationRow.id, ConversationRow.client_id, ConversationRow.channel)
                .where(ConversationRow.hub == "TYO", ConversationRow.status == "queued", ConversationRow.channel != "phone")
                .order_by(ConversationRow.id)
            ).all()
            per_client = dict(
                conn.execute(
                    select(ConversationRow.client_id, func.count()).where(ConversationRow.status != "resolved").group_by(ConversationRow.client_id)
                ).all()
            )
            sizes = dict(conn.execute(select(MessageRow.conversation_id, func.count()).group_by(MessageRow.conversation_id)).all())
            skus = [r for r in conn.execute(select(ProductRow.sku, ProductRow.name).order_by(ProductRow.id).limit(200)).all()]
        candidates = [c for c in open_tyo if per_client.get(c.client_id) == 1]
        big = candidates[0]
        small = min((c for c in candidates[1:]), key=lambda c: (sizes.get(c.id, 0) < 2, sizes.get(c.id, 0)))
        from sqlmodel import Session

        with Session(engine) as session:
            advisor = session.execute(select(AdvisorRow).where(AdvisorRow.username == "advisor")).scalar_one().to_model()
            channel = session.execute(select(AdvisorRow).where(AdvisorRow.username == "channel-sim")).scalar_one().to_model()
        rng = random.Random(8)
        w = writer(engine)
        for i in range(count):
            body = _body(rng, i)
            if i % 3 == 0 or i % 3 == 1 and i % 2 == 0:
                _, result = services.run_write(w, lambda s, b=body: services.inbound(s, channel, InboundIn(channel=big.channel, client_id=big.client_id, body=b)))
                assert result["conversation_id"] == big.id, "the client's message went to another conversation"
            elif i % 17 == 5:
                sku, name = skus[i % len(skus)]
                card = Attachment(type="product_card", sku=sku, name=name, price="¥ 420,000")
                services.run_write(w, lambda s, n=name, c=card: services.post_message(s, advisor, big.id, MessageIn(body=n, kind=MessageKind.reply, attachments=[c]), None))
            else:
                kind = MessageKind.note if i % 11 == 4 else MessageKind.reply
                services.run_write(w, lambda s, b=body, k=kind: services.post_message(s, advisor, big.id, MessageIn(body=b, kind=k), None))
        return big.id, small.id
    finally:
        engine.dispose()


def _isolated_env(tmp: Path) -> dict[str, str]:
    home = tmp / "home"
    env = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "ADVISOR_CONSOLE_DEMO_RATE": "0",
    }
    for path in env.values():
        if path.startswith("/"):
            Path(path).mkdir(parents=True, exist_ok=True)
    return env


async def _sync_once(server_url: str, token: str, root: Path, timeout: float = 120.0) -> int:
    """A real Workspace: catch up into the local cache, see the live stream, stop."""
    from advisor_console.client.session import open_workspace

    ws = open_workspace(server_url, token, root=root)
    task = asyncio.create_task(ws.start())
    deadline = time.monotonic() + timeout
    try:
        while ws.state.connection != "live":
            if task.done():
                task.result()
            if time.monotonic() > deadline:
                raise TimeoutError("the workspace did not catch up")
            await asyncio.sleep(0.05)
        return ws.state.last_seq
    finally:
        await ws.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        ws.cache.close()


def _compile_package() -> None:
    """Bytecode for the workstation's modules, as an installed package has (pip compiles a
    wheel's modules when it installs them). From an editable checkout with
    PYTHONDONTWRITEBYTECODE set (this project's machine sets it), each measured start would
    otherwise compile every module from source: a start measured at 2.28x instead of 1.99x."""
    import compileall

    import advisor_console

    compileall.compile_dir(str(Path(advisor_console.__file__).parent), quiet=1)


def build(scale: dict[str, int], log: Callable[[str], None]) -> Setting:
    from advisor_console.client.api import login
    from advisor_console.demo.seed import seed
    from advisor_console.server.db import make_engine, migrate

    _compile_package()
    tmp = Path(tempfile.mkdtemp(prefix="ac-bench-tui-"))
    env = _isolated_env(tmp)
    os.environ.update(env)  # this process too: Settings() and themes must not see the user's files
    timings: dict[str, float] = {}
    url = f"sqlite:///{tmp / 'server.sqlite'}"
    t = time.perf_counter()
    migrate(url)
    engine = make_engine(url)
    try:
        seed(engine, clients=scale["clients"], products=scale["products"], conversations=scale["conversations"], seed=7, password=PASSWORD)
    finally:
        engine.dispose()
    timings["seed_s"] = time.perf_counter() - t
    t = time.perf_counter()
    big_id, small_id = _add_thread(url, scale["thread"])
    timings["thread_s"] = time.perf_counter() - t
    log(f"database: seeded in {timings['seed_s']:.1f} s, {scale['thread']} messages added in {timings['thread_s']:.1f} s")
    server = ServerProcess.start(url, tmp)
    try:
        token = login(server.url, "advisor", PASSWORD).token
        root = tmp / "client"
        t = time.perf_counter()
        seq = asyncio.run(_sync_once(server.url, token, root))
        timings["sync_s"] = time.perf_counter() - t
    except BaseException:
        server.stop()
        raise
    log(f"local cache: synced to seq {seq} in {timings['sync_s']:.1f} s")
    env.update({"ADVISOR_CONSOLE_SERVER": server.url, "ADVISOR_CONSOLE_TOKEN": token, "ADVISOR_CONSOLE_DATA_DIR": str(root)})
    return Setting(
        tmp=tmp,
        url=url,
        server_url=server.url,
        token=token,
        client_root=root,
        big_id=big_id,
        small_id=small_id,
        thread_len=scale["thread"],
        env=env,
        stop=server.stop,
        timings=timings,
    )


# ---- child processes on a pseudo-terminal ----------------------------------------------------

_PROBE_APP = r"""
import os, sys, time
_probe_file = os.environ["BENCH_PROBE_FILE"]
_mode = os.environ["BENCH_MODE"]
_big = int(os.environ.get("BENCH_BIG_ID", "0"))
_len = int(os.environ.get("BENCH_THREAD_LEN", "0"))
import advisor_console.workstation  # first, as the advisor-console script imports it
import advisor_console.tui.app as _app_module
from advisor_console.tui.screens.workspace import WorkspaceScreen

def _note(line):
    with open(_probe_file, "a") as f:
        f.write(line + "\n")

class _Probe(_app_module.AdvisorApp):
    _stage = 0
    def _display(self, screen, renderable):
        super()._display(screen, renderable)
        if renderable is None or not isinstance(screen, WorkspaceScreen):
            return
        if self._stage == 0:
            _note(f"frame {time.monotonic()!r}")
            self._stage = 1
        if self._stage == 1 and screen.queue.list.option_count > 0:
            _note(f"data {time.monotonic()!r}")
            self._stage = 2
            if _mode == "startup":
                self.call_later(self.exit)
            else:
                self.call_later(screen.open_conversation, _big)
        elif self._stage == 2 and screen.open_id == _big and screen.conversation.thread.block_count >= _len:
            _note(f"thread {time.monotonic()!r}")
            self._stage = 3

_app_module.AdvisorApp = _Probe
sys.argv = ["advisor-console"]
from advisor_console.workstation import main
main()
"""

_PROBE_BARE = r"""
import os, time
_probe_file = os.environ["BENCH_PROBE_FILE"]
from textual.app import App
from textual.widgets import Footer, Header

class Bare(App):
    _done = False
    def compose(self):
        yield Header()
        yield Footer()
    def _display(self, screen, renderable):
        super()._display(screen, renderable)
        if renderable is not None and not self._done:
            self._done = True
            with open(_probe_file, "a") as f:
                f.write(f"frame {time.monotonic()!r}\ndata {time.monotonic()!r}\n")
            self.call_later(self.exit)

Bare().run()
"""


class PtyChild:
    """A `python -c` child on its own pseudo-terminal (160x48), its output drained."""

    def __init__(self, code: str, env: dict[str, str], probe: Path) -> None:
        self.probe = probe
        probe.unlink(missing_ok=True)
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "BENCH_"))}
        full_env.update(env)
        full_env.update({"TERM": "xterm-256color", "COLORTERM": "truecolor", "BENCH_PROBE_FILE": str(probe), "PYTHONUNBUFFERED": "1"})
        self.master = master
        self.output = bytearray()
        self.started = time.monotonic()
        self.proc = subprocess.Popen([sys.executable, "-c", code], stdin=slave, stdout=slave, stderr=slave, env=full_env, start_new_session=True, close_fds=True)
        os.close(slave)
        self._drain = threading.Thread(target=self._read, daemon=True)
        self._drain.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            if len(self.output) < 4_000_000:
                self.output += data

    def marks(self) -> dict[str, float]:
        try:
            lines = self.probe.read_text().splitlines()
        except OSError:
            return {}
        out = {}
        for line in lines:
            name, _, value = line.partition(" ")
            out[name] = float(value)
        return out

    def wait_for(self, mark: str, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while True:
            marks = self.marks()
            if mark in marks:
                return marks[mark]
            if self.proc.poll() is not None or time.monotonic() > deadline:
                tail = self.output[-1500:].decode("utf-8", "replace")
                raise RuntimeError(f"the child never reported {mark!r} (exit {self.proc.returncode}); its last output: {tail!r}")
            time.sleep(0.005)

    def status(self) -> dict[str, int]:
        """VmRSS and VmHWM in kB."""
        out = {}
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(value.split()[0])
        return out

    def close(self, timeout: float = 10.0) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout)
        terminate(self.proc, 5)
        with contextlib.suppress(OSError):
            os.close(self.master)
        self._drain.join(2)


def measure_startup(setting: Setting, runs: int, log: Callable[[str], None]) -> list[dict[str, Any]]:
    app_env = dict(setting.env, BENCH_MODE="startup")
    probe = setting.tmp / "probe.txt"
    times: dict[str, list[float]] = {"bare": [], "app": [], "app_frame": []}
    for i in range(runs + 1):  # the first round warms the page cache and is not counted
        for kind in ("bare", "app"):
            child = PtyChild(_PROBE_BARE if kind == "bare" else _PROBE_APP, app_env if kind == "app" else setting.env, probe)
            try:
                data = child.wait_for("data", 60) - child.started
                frame = child.marks()["frame"] - child.started
            finally:
                child.close()
            if i:
                times[kind].append(data)
                if kind == "app":
                    times["app_frame"].append(frame)
    bare = statistics.median(times["bare"])
    app = statistics.median(times["app"])
    ratio = app / bare
    log(f"startup: bare {sorted(round(t, 3) for t in times['bare'])}, workstation {sorted(round(t, 3) for t in times['app'])}")
    return [
        _row("startup: bare Textual app (Header+Footer), first frame", bare * 1000, "ms", None, None, f"median of {runs}, fresh process on a pty"),
        _row("startup: workstation, first frame with data (local cache)", app * 1000, "ms", None, None, f"median of {runs}; first frame of any kind {statistics.median(times['app_frame']) * 1000:.0f} ms"),
        _row("startup ratio (workstation / bare)", ratio, "x", STARTUP_RATIO, ratio <= STARTUP_RATIO, "same run, interleaved"),
    ]


def measure_memory(setting: Setting, log: Callable[[str], None]) -> list[dict[str, Any]]:
    env = dict(setting.env, BENCH_MODE="memory", BENCH_BIG_ID=str(setting.big_id), BENCH_THREAD_LEN=str(setting.thread_len))
    child = PtyChild(_PROBE_APP, env, setting.tmp / "probe-memory.txt")
    try:
        child.wait_for("thread", 120)
        time.sleep(1.0)  # let the sync worker and the client-360 fetch settle
        status = child.status()
    finally:
        child.close(timeout=0)
    rss, hwm = status["VmRSS"] / 1024, status["VmHWM"] / 1024
    log(f"memory: VmRSS {rss:.1f} MB, VmHWM {hwm:.1f} MB")
    return [_row("TUI resident memory (VmRSS), big thread open", rss, "MB", RSS_MB, rss <= RSS_MB, f"peak (VmHWM) {hwm:.0f} MB")]


# ---- key-to-frame, in process ---------------------------------------------------------------


def _latency_app_class() -> type:
    from textual._compositor import CompositorUpdate

    from advisor_console.tui.app import AdvisorApp

    class LatencyApp(AdvisorApp):
        """The workstation with a probe on each frame handed to the terminal driver."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.probes: dict[str, Callable[[], bool]] = {}
            self.hits: dict[str, float] = {}
            self.frame_event = asyncio.Event()
            self.frames = 0

        def _display(self, screen: Any, renderable: Any) -> None:
            super()._display(screen, renderable)
            if renderable is None:
                return
            if isinstance(renderable, CompositorUpdate):
                renderable.render_segments(self.console)  # what a real terminal would be sent
            now = time.perf_counter()
            self.frames += 1
            for name, probe in list(self.probes.items()):
                if probe():
                    self.hits[name] = now
                    del self.probes[name]
            self.frame_event.set()

    return LatencyApp


async def _settle(app: Any, quiet: float = 0.05, timeout: float = 10.0) -> None:
    """Until no frame has been drawn for `quiet` seconds (and the workers are idle)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.frame_event.clear()
        busy = any(w.is_running for w in app.workers if w.group != "sync")
        try:
            await asyncio.wait_for(app.frame_event.wait(), quiet)
        except asyncio.TimeoutError:
            if not busy:
                return


async def _key(app: Any, key: str, probes: dict[str, Callable[[], bool]], timeout: float = 10.0) -> dict[str, float]:
    """Post `key` as the terminal driver would; ms until the first frame satisfying each probe."""
    from textual import events

    await _settle(app)
    char = key if len(key) == 1 else {"enter": "\r", "backspace": "\x7f"}.get(key)
    app.hits = {}
    app.probes = dict(probes)
    t0 = time.perf_counter()
    app._driver.send_message(events.Key(key, char))
    deadline = time.monotonic() + timeout
    while app.probes:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no frame after {key!r} satisfied {sorted(app.probes)}")
        app.frame_event.clear()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(app.frame_event.wait(), 0.1)
    return {name: (at - t0) * 1000 for name, at in app.hits.items()}


async def _focus_queue(app: Any, queue: Any) -> None:
    """ctrl+o, unless the queue has the focus already (then the key changes nothing on
    screen: no frame comes)."""
    if app.focused is not queue.list:
        await _key(app, "ctrl+o", {"focus": lambda: app.focused is queue.list})


async def _wait(predicate: Callable[[], object], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def _latencies(setting: Setting, scale: dict[str, int], log: Callable[[str], None]) -> dict[str, list[float]]:
    from advisor_console.client.session import open_workspace
    from advisor_console.config import Settings
    from advisor_console.tui.widgets.thread import ThreadView

    ws = open_workspace(setting.server_url, setting.token, root=setting.client_root)
    app = _latency_app_class()(ws, Settings())
    samples: dict[str, list[float]] = {"move": [], "open": [], "echo": [], "search": [], "tab": []}
    try:
        async with app.run_test(size=SIZE):
            screen = app.screen
            queue = screen.queue
            await _wait(lambda: ws.state.connection == "live", what="the live stream")
            await _settle(app, 0.2)

            # queue: move down the Hub tab
            await _key(app, "2", {"tab": lambda: queue.tab == "hub"})
            queue.list.focus()
            queue.list.highlighted = 0
            rows = queue.list.option_count
            for _ in range(scale["moves"]):
                before = queue.list.highlighted or 0
                key, want = ("down", before + 1) if before + 1 < rows else ("up", before - 1)
                samples["move"].append((await _key(app, key, {"move": lambda w=want: queue.list.highlighted == w}))["move"])

            # open the big conversation (cold each time: a small one is opened in between)
            thread = screen.query_one(ThreadView)
            for i in range(scale["opens"] * 2):
                target = setting.big_id if i % 2 else setting.small_id
                await _focus_queue(app, queue)
                queue.highlight(target)
                await _settle(app)
                assert queue.highlighted_id == target, "the conversation is not in the Hub tab"
                n = setting.thread_len if target == setting.big_id else 1
                got = await _key(app, "enter", {"open": lambda t=target, n=n: screen.open_id == t and thread.block_count >= n})
                if target == setting.big_id:
                    samples["open"].append(got["open"])
                await _wait(lambda: not any(w.is_running for w in app.workers if w.group != "sync"), what="workers")

            # lookbook: type words from product names, one character at a time
            await _key(app, "l", {"lookbook": lambda: screen.lookbook_open})
            lookbook = screen.lookbook
            await _wait(lambda: lookbook._searched == "" and not lookbook.searching, what="first results")
            words = _query_words(lookbook.products, scale["words"])
            box = lookbook.query_one("#lookbook-input")
            for word in words:
                box.value = ""
                await _wait(lambda: lookbook._searched == "" and not lookbook.searching, what="cleared results")
                for i, ch in enumerate(word):
                    typed = word[: i + 1]
                    got = await _key(
                        app,
                        ch,
                        {
                            "echo": lambda t=typed: box.value == t,
                            "search": lambda t=typed: lookbook._searched == t and not lookbook.searching,
                        },
                    )
                    samples["echo"].append(got["echo"])
                    samples["search"].append(got["search"])
            await _key(app, "escape", {"closed": lambda: not screen.lookbook_open})

            # queue tabs 1 / 2 / 3
            await _focus_queue(app, queue)
            for _ in range(scale["tab_rounds"]):
                for key, tab in (("1", "mine"), ("2", "hub"), ("3", "all")):
                    samples["tab"].append((await _key(app, key, {"tab": lambda t=tab: queue.tab == t}))["tab"])
            log(f"latency: {app.frames} frames drawn; queue {rows} rows in the Hub tab")
    finally:
        ws.cache.close()
    return samples


def _query_words(products: list[Any], count: int) -> list[str]:
    """Search words a person would type: the first word of product names, lower-cased."""
    words: list[str] = []
    for p in products:
        word = p.name.split()[0].lower()
        if word.isalpha() and len(word) >= 4 and word not in words:
            words.append(word[:5])
        if len(words) >= count:
            break
    return words or ["silk"]


def measure_latency(setting: Setting, scale: dict[str, int], log: Callable[[str], None]) -> list[dict[str, Any]]:
    samples = asyncio.run(_latencies(setting, scale, log))
    labels = {
        "move": "key-to-frame: queue move (down/up)",
        "open": f"key-to-frame: open the {setting.thread_len:,}-message conversation (enter)",
        "echo": "key-to-frame: lookbook type a character (echo in the box)",
        "search": "key-to-frame: lookbook type a character (results updated)",
        "tab": "key-to-frame: queue tabs (1/2/3)",
    }
    rows = []
    for key, label in labels.items():
        values = samples[key]
        p50, p95 = _p(values, 50), _p(values, 95)
        log(f"{label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {max(values):.1f} ms (n={len(values)})")
        rows.append(_row(f"{label} p50", p50, "ms", None, None, f"n={len(values)}"))
        rows.append(_row(f"{label} p95", p95, "ms", FRAME_MS, p95 <= FRAME_MS, f"n={len(values)}, max {max(values):.1f} ms"))
    return rows


# ---- entry points ------------------------------------------------------------------------


PARTS = ("startup", "latency", "memory")


def run(quick: bool = False, log: Callable[[str], None] | None = None, only: list[str] | None = None) -> list[dict[str, Any]]:
    """Build the setting, measure (every part, or those in `only`), clean up. Returns the
    rows (also written to results/tui.json)."""
    log = log or (lambda line: print(f"[tui] {line}", file=sys.stderr, flush=True))
    scale = QUICK if quick else FULL
    saved_env = dict(os.environ)
    started = time.perf_counter()
    setting = build(scale, log)
    rows: list[dict[str, Any]] = []
    try:
        parts = only or PARTS
        if "startup" in parts:
            rows += measure_startup(setting, scale["starts"], log)
        if "latency" in parts:
            rows += measure_latency(setting, scale, log)
        if "memory" in parts:
            rows += measure_memory(setting, log)
    finally:
        setting.stop()
        os.environ.clear()
        os.environ.update(saved_env)
        shutil.rmtree(setting.tmp, ignore_errors=True)
    scale_note = f"{scale['clients']:,} clients, {scale['products']:,} products, {scale['conversations']:,} open conversations, one of {scale['thread']:,} messages"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "suite": "tui",
                "quick": quick,
                "only": only,
                "scale": scale_note,
                "seconds": round(time.perf_counter() - started, 1),
                "setup": {k: round(v, 2) for k, v in setting.timings.items()},
                "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "platform": sys.platform},
                "rows": rows,
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    return suite_main("python -m benchmarks.tui", "The workstation's benchmarks: startup, key-to-frame latency, memory.", run, RESULTS, ROOT, argv, parts=PARTS)


if __name__ == "__main__":
    sys.exit(main())
