"""Opening the workstation: what `advisor-console` with no arguments does.

Apart from the command-line parser (cli.py): the workstation is the command an advisor
runs all day, and typer with click is a noticeable part of a start, so `main()` opens it
without them when there are no arguments and hands anything else to the CLI. The CLI's
`run` and `demo` commands call the same functions.
"""

from __future__ import annotations

import gc
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

# A start allocates a few hundred thousand objects that live as long as the program
# (modules, then the state read from the local cache): the garbage collector walking them
# again and again on the way is wasted work (about a twentieth of a start). It is off from
# here until the command is under way: the workstation turns it back on after its first
# frame (AdvisorApp), every other command at once (cli.main_callback), the embedded demo
# before seeding (seeding makes real garbage).
gc.disable()

# Pydantic looks for plugins (observability tools) in every installed distribution's
# entry points when the first model is built: a scan of the environment's metadata, some
# 14 ms of a start, for plugins this program does not use. Whoever wants one sets
# PYDANTIC_DISABLE_PLUGINS to "" (or to a list of names) and it is respected.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from .config import Settings, SettingsError  # noqa: E402
from .config import load_settings as _load_settings  # noqa: E402

DEMO_PASSWORD = "demo"  # demo data only; `serve` never creates accounts with it


class Refused(Exception):
    """The workstation cannot open: `line` is what to tell the user, `code` the exit status."""

    def __init__(self, line: str, code: int = 1) -> None:
        super().__init__(line)
        self.line, self.code = line, code


def _fail(message: str, code: int = 1) -> None:
    raise Refused(f"advisor-console: {message}", code)


def load_settings(**overrides: Any) -> Settings:
    """The settings; an invalid one refuses with its message (exit 2)."""
    try:
        return _load_settings(**overrides)
    except SettingsError as exc:
        raise Refused(str(exc), 2) from None


class DemoRole(StrEnum):
    advisor = "advisor"
    supervisor = "supervisor"
    trainer = "trainer"


def open_workstation(server: str | None = None, insecure: bool = False) -> None:
    """Open the workstation: against --server (signed in with the stored token or
    ADVISOR_CONSOLE_TOKEN), or on the embedded demo when no server is configured."""
    settings = load_settings(server=server)
    if not settings.server:
        run_demo(DemoRole.advisor, rate=None)
        return
    from .client import credentials

    url = settings.server.rstrip("/")
    if insecure:
        print("Warning: TLS certificates are NOT verified (--insecure).", file=sys.stderr)
    token = settings.token
    if not token:
        cred = credentials.load(url)
        if cred is None:
            _fail(f"Not signed in to {url}. Run `advisor-console login --server {url}` (or set ADVISOR_CONSOLE_TOKEN).")
        token = cred.token  # type: ignore[union-attr]

        def remember(new_token: str) -> None:
            # A token renewed through the sign-in prompt replaces the stored one.
            try:
                credentials.store(url, new_token, cred.username or "")  # type: ignore[union-attr]
            except credentials.NoKeyring:
                pass

        open_tui(url, token, settings, verify=not insecure, on_new_token=remember)  # type: ignore[arg-type]
        return
    open_tui(url, token, settings, verify=not insecure)


def open_tui(url: str, token: str, settings: Any, *, verify: bool = True, on_exit: Any = None, cache_key: str | None = None, on_new_token: Any = None) -> None:
    from .client.api import ApiError
    from .client.session import open_workspace

    try:
        workspace = open_workspace(url, token, root=settings.resolved_data_dir, verify=verify, cache_key=cache_key)
    except ApiError as err:
        if err.auth_failed:
            _fail(f"{err.message} Run `advisor-console login --server {url}`.")
        _fail(f"Cannot open the workstation: {err.message}")
    from .tui.app import AdvisorApp

    workspace.on_new_token = on_new_token
    try:
        AdvisorApp(workspace, settings).run()
    finally:
        workspace.cache.close()
        if on_exit:
            on_exit()


def demo_database(root: Path) -> Path:
    return root / "demo" / "demo.sqlite"


def prepare_demo(root: Path, *, reset: bool = False, seed_value: int = 7, echo: bool = True) -> str:
    """Migrate (and on first run seed) the demo database; returns its URL."""
    path = demo_database(root)
    if reset:
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    from .demo.seed import is_seeded, seed
    from .server.db import make_engine, migrate

    migrate(url)
    engine = make_engine(url)
    try:
        if not is_seeded(engine):
            if echo:
                print("Preparing the demo data (first run only)…", flush=True)
            seed(engine, seed=seed_value, password=DEMO_PASSWORD)
    finally:
        engine.dispose()
    return url


def run_demo(role: DemoRole, *, rate: float | None, reset: bool = False) -> None:
    gc.enable()
    settings = load_settings()
    root = settings.resolved_data_dir
    url = prepare_demo(root, reset=reset, seed_value=settings.demo_seed)
    from .client.api import login
    from .server.app import create_app
    from .server.runner import start_in_thread

    server = start_in_thread(create_app(url, run_migrations=False))
    stop_sim = _start_simulator(server.url, rate if rate is not None else settings.demo_rate, settings.demo_seed)
    token = login(server.url, role.value, DEMO_PASSWORD).token

    def shutdown() -> None:
        stop_sim()
        server.stop()

    # The demo's port changes per launch: key its cache by the database instead.
    open_tui(server.url, token, settings, on_exit=shutdown, cache_key=f"embedded:{url}")


def _start_simulator(url: str, rate: float, seed_value: int) -> Any:
    """Simulated clients write in from a thread of their own; returns a stop function."""
    if rate <= 0:
        return lambda: None
    import asyncio
    import threading

    from .demo.simulator import Simulator

    loop = asyncio.new_event_loop()
    sim = Simulator(url, "channel-sim", DEMO_PASSWORD, rate_per_minute=rate, seed=seed_value)
    task_holder: dict[str, Any] = {}

    def run_sim() -> None:
        asyncio.set_event_loop(loop)
        task_holder["task"] = loop.create_task(sim.run())
        try:
            loop.run_until_complete(task_holder["task"])
        except BaseException:
            pass

    thread = threading.Thread(target=run_sim, name="demo-simulator", daemon=True)
    thread.start()

    def stop() -> None:
        task = task_holder.get("task")
        if task is not None:
            loop.call_soon_threadsafe(task.cancel)
        thread.join(2)

    return stop


def main() -> None:
    """The `advisor-console` command: the workstation when there are no arguments, the CLI
    (cli.py) for anything else."""
    if len(sys.argv) > 1:
        from .cli import main as cli_main

        cli_main()
        return
    try:
        open_workstation()
    except Refused as refused:
        print(refused.line, file=sys.stderr)
        sys.exit(refused.code)
