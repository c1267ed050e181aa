"""Shared fixtures: isolated dirs, a real server on loopback over a real SQLite file (or
PostgreSQL), demo accounts, and real workspaces connected over HTTP."""

from __future__ import annotations

import gc
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

DEMO_PASSWORD = "demo"
FIXED_NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
PG_ADMIN_DSN = os.environ.get("ADVISOR_CONSOLE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never touch the real user's config, data or keyring."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    for var in ("ADVISOR_CONSOLE_SERVER", "ADVISOR_CONSOLE_TOKEN", "ADVISOR_CONSOLE_THEME", "ADVISOR_CONSOLE_DATA_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ADVISOR_CONSOLE_DEMO_RATE", "0")
    # Importing the CLI turns the garbage collector off for a start (workstation.py); a test
    # process is no start: collect as usual.
    gc.enable()
    return home


@pytest.fixture
def thresholds() -> Iterator[tuple[int, int, int]]:
    """The collector's thresholds as they were, given back (and the collector on) after a
    test that changes them (advisor_console/idle_gc.py)."""
    saved = gc.get_threshold()
    enabled = gc.isenabled()
    gc.enable()
    yield saved
    gc.set_threshold(*saved)
    if not enabled:
        gc.disable()


# ---- databases ---------------------------------------------------------------------------

SMALL = {"clients": 300, "products": 200, "conversations": 90}


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """A small seeded SQLite database, made once per run and copied per test."""
    from advisor_console.demo.seed import seed
    from advisor_console.server.db import make_engine, migrate

    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    url = f"sqlite:///{path}"
    migrate(url)
    engine = make_engine(url)
    accounts = seed(engine, seed=7, password=DEMO_PASSWORD, **SMALL)
    engine.dispose()
    return path, accounts


def _pg_available() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=2, autocommit=True):
            return None
    except Exception as exc:  # noqa: BLE001
        return f"PostgreSQL is not reachable at {PG_ADMIN_DSN} ({type(exc).__name__})"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    reason = _pg_available()
    if reason:
        pytest.skip(reason)
    import psycopg

    name = f"ac_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    yield f"{base.replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---- a live server --------------------------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    database_url: str
    accounts: list[dict[str, Any]]
    _stop: Callable[[], None]

    def account(self, role: str, hub: str | None = None, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
        for acc in self.accounts:
            if acc["role"] == role and (hub is None or acc["hub"] == hub) and acc["username"] not in exclude:
                return acc
        raise LookupError(f"no demo account with role {role} in {hub}")

    def token(self, username: str) -> str:
        r = httpx.post(f"{self.url}/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD})
        r.raise_for_status()
        return r.json()["token"]

    def headers(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username)}"}

    def stop(self) -> None:
        self._stop()


def start_live_server(database_url: str, accounts: list[dict[str, Any]], **app_kwargs: Any) -> LiveServer:
    from advisor_console.server.app import create_app
    from advisor_console.server.runner import start_in_thread

    running = start_in_thread(create_app(database_url, **app_kwargs))
    return LiveServer(url=running.url, database_url=database_url, accounts=accounts, _stop=running.stop)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, seeded_template: tuple[Path, list[dict[str, Any]]], tmp_path: Path) -> Iterator[str]:
    """A seeded database for one test: a copy of the SQLite template, or (param
    "postgresql") a fresh PostgreSQL database seeded the same way."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        path = tmp_path / "server.sqlite"
        shutil.copyfile(seeded_template[0], path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("pg_url")
    from advisor_console.demo.seed import seed
    from advisor_console.server.db import make_engine, migrate

    migrate(url)
    engine = make_engine(url)
    seed(engine, seed=7, password=DEMO_PASSWORD, **SMALL)
    engine.dispose()
    yield url


@pytest.fixture
def live_server(database_url: str, seeded_template: tuple[Path, list[dict[str, Any]]]) -> Iterator[LiveServer]:
    """A real uvicorn server on a free loopback port over a real database (SQLite by
    default; parametrize `database_url` with "postgresql" for PostgreSQL)."""
    server = start_live_server(database_url, seeded_template[1])
    yield server
    server.stop()


BOTH_DATABASES = pytest.mark.parametrize("database_url", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)


@pytest.fixture
def make_workspace(live_server: LiveServer, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """make_workspace(username) -> a real Workspace connected to live_server over HTTP
    (not started: call `await ws.start()` in a task, or let the app's worker do it)."""
    from advisor_console.client.session import open_workspace

    made: list[Any] = []

    def make(username: str, root: Path | None = None) -> Any:
        ws = open_workspace(live_server.url, live_server.token(username), root=root or tmp_path / f"client-{username}")
        made.append(ws)
        return ws

    yield make
    for ws in made:
        ws.cache.close()
